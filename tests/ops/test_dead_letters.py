"""Dead letters for operators: listed with their reason, replayed under the same id with history
kept and never twice to a recipient that has the message, discarded with an audit trail; the
broker's own dead-lettering recorded in the journal."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from lgsp.bus import Delivery
from lgsp.ids import new_message_id
from lgsp.journal import Event, Journal, NewMessage, StatusChange
from lgsp.ops import DeadLetterKeeper
from lgsp.registry import register_operator
from tests.gateway.test_messages import message
from tests.support import RECIPIENT, STRANGER, Platform, PlatformFactory


@pytest.fixture(params=["memory", pytest.param("rabbitmq", marks=pytest.mark.integration)])
async def platform(request: pytest.FixtureRequest, platform_factory: PlatformFactory) -> Platform:
    broker_url = request.getfixturevalue("rabbit_url") if request.param == "rabbitmq" else ""
    p = await platform_factory(
        bus=request.param, broker_url=broker_url, db_url=request.getfixturevalue("sqlite_url")
    )
    created = await register_operator(p.services.journal.systems, operator_id="ops")
    p.keys["ops"] = created["api_key"]
    return p


async def dead_message(platform: Platform, recipients: list[str]) -> str:
    response = await platform.client.post(
        "/v1/messages", json=message(recipients=recipients), headers=platform.auth("qlvb-a")
    )
    message_id: str = (await response.json())["id"]
    await platform.wait_status(message_id, "dead")
    return message_id


async def ops(platform: Platform, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
    response = await platform.client.request(
        method, f"/v1/ops/dead-letters{path}", headers=platform.auth("ops"), **kwargs
    )
    return response.status, await response.json()


async def test_list_show_replay_after_the_recipient_recovers(platform: Platform) -> None:
    platform.receiver.status_by_system["qlvb-b"] = 500
    message_id = await dead_message(platform, [RECIPIENT, STRANGER])
    calls_to_c = [c for c in platform.receiver.calls if c[0] == "qlvb-c"]
    assert len(calls_to_c) == 1  # delivered at the first try

    status, listed = await ops(platform, "GET", "")
    assert status == 200
    assert [item["id"] for item in listed["items"]] == [message_id]
    assert listed["items"][0]["reason"].startswith("gave up after 4 attempts")
    status, shown = await ops(platform, "GET", f"/{message_id}")
    assert status == 200
    assert len(shown["attempt_log"]) == 5  # 4 to qlvb-b, 1 to qlvb-c
    assert shown["last_error"]

    platform.receiver.status_by_system["qlvb-b"] = 204
    status, answer = await ops(platform, "POST", f"/{message_id}/replay")
    assert (status, answer["status"]) == (202, "replayed")
    record = await platform.wait_status(message_id, "delivered")
    statuses = [e.status for e in record.events]
    assert statuses.index("dead") < statuses.index("replayed") < len(statuses) - 1
    assert statuses[-1] == "delivered"
    # Same id, and the recipient that had it already was not sent it again.
    assert len([c for c in platform.receiver.calls if c[0] == "qlvb-c"]) == 1
    assert len([c for c in platform.receiver.calls if c[0] == "qlvb-b"]) == 5
    status, _ = await ops(platform, "POST", f"/{message_id}/replay")
    assert status == 404  # not dead any more


async def test_a_refused_message_gets_another_chance_when_replayed(platform: Platform) -> None:
    platform.receiver.status = 422
    message_id = await dead_message(platform, [RECIPIENT])
    platform.receiver.status = 204
    status, _ = await ops(platform, "POST", f"/{message_id}/replay")
    assert status == 202
    await platform.wait_status(message_id, "delivered")


async def test_discard_is_audited_and_final(platform: Platform) -> None:
    platform.receiver.status = 500
    message_id = await dead_message(platform, [RECIPIENT])
    status, answer = await ops(
        platform, "POST", f"/{message_id}/discard", json={"reason": "sent to the wrong agency"}
    )
    assert (status, answer["status"]) == (200, "discarded")
    record = await platform.services.journal.get(message_id)
    assert record is not None
    assert record.status == "discarded"
    discarded = next(e for e in record.events if e.status == "discarded")
    assert discarded.detail == {"operator": "ops", "reason": "sent to the wrong agency"}
    assert (await ops(platform, "POST", f"/{message_id}/replay"))[0] == 404
    status, problem = await ops(platform, "POST", f"/{message_id}/discard", json={})
    assert status == 422
    assert problem["errors"][0]["loc"] == ["reason"]


async def test_bulk_replay_by_filter(platform: Platform) -> None:
    platform.receiver.status = 500
    ids = [await dead_message(platform, [RECIPIENT]) for _ in range(3)]
    platform.receiver.status = 204
    status, answer = await ops(platform, "POST", "/replay", json={"type": "document.send"})
    assert (status, answer) == (202, {"replayed": 3})
    for message_id in ids:
        await platform.wait_status(message_id, "delivered")
    assert (await ops(platform, "GET", ""))[1]["items"] == []


async def test_only_operators_see_dead_letters(platform: Platform) -> None:
    response = await platform.client.get("/v1/ops/dead-letters", headers=platform.auth("qlvb-a"))
    assert response.status == 403
    assert response.content_type == "application/problem+json"
    assert (await platform.client.get("/v1/ops/dead-letters")).status == 401


async def test_the_keeper_records_what_the_broker_dead_lettered(tmp_path: Path) -> None:
    journal = await Journal.open(f"sqlite:///{tmp_path / 'j.db'}")
    try:
        message_id = new_message_id()
        await journal.accept(
            NewMessage(
                id=message_id,
                type="document.send",
                sender="000.00.00.H41",
                sender_system="a",
                recipients=(RECIPIENT,),
                created_at=datetime.now(UTC),
                payload=b"{}",
            )
        )
        delivery = Delivery(
            message_id=message_id,
            routing_key="document.send",
            body=b"{}",
            type="document.send",
            headers={"x-death": [{"reason": "delivery_limit", "queue": "lgsp.document"}]},
            correlation_id=None,
            content_type="application/json",
            redelivered=True,
            delivery_count=21,
        )
        await DeadLetterKeeper(journal).handle(delivery)
        record = await journal.get(message_id)
        assert record is not None
        assert record.status == "dead"
        dead = record.events[-1]
        assert dead.detail == {"reason": "delivery_limit in lgsp.document", "by": "broker"}
        await DeadLetterKeeper(journal).handle(delivery)  # again: nothing changes
        again = await journal.get(message_id)
        assert again is not None
        assert len(again.events) == len(record.events)
    finally:
        await journal.close()


@pytest.mark.integration
@pytest.mark.e2e
async def test_the_cli_lists_and_replays(
    platform_factory: PlatformFactory, rabbit_url: str, tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path / 'lgsp.db'}"
    platform = await platform_factory(bus="rabbitmq", broker_url=rabbit_url, db_url=db)
    platform.receiver.status = 500
    message_id = await dead_message(platform, [RECIPIENT])
    env = {k: v for k, v in os.environ.items() if not k.startswith("LGSP_")}
    env.update(
        {
            "LGSP_DB_URL": db,
            "LGSP_BROKER_URL": rabbit_url,
            "LGSP_BROKER_PREFIX": platform.settings.broker_prefix,
            "LGSP_RETRY_SCHEDULE": "[0.05]",
            "COLUMNS": "200",
        }
    )
    lgsp = str(Path(sys.executable).parent / "lgsp")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([lgsp, *args], env=env, capture_output=True, text=True, timeout=60)

    listed = run("ops", "dead-letters", "list")
    assert listed.returncode == 0, listed.stderr
    assert message_id in listed.stdout
    shown = run("ops", "dead-letters", "show", message_id)
    assert json.loads(shown.stdout)["reason"].startswith("gave up")
    platform.receiver.status = 204
    replayed = run("ops", "dead-letters", "replay", "--all", "--operator", "ca-truc")
    assert replayed.returncode == 0, replayed.stderr
    assert "replayed 1 dead letter(s)" in replayed.stdout
    record = await platform.wait_status(message_id, "delivered")
    assert any(e.detail == {"operator": "ca-truc"} for e in record.events)
    missing = run("ops", "dead-letters", "discard", message_id, "--reason", "x")
    assert missing.returncode == 2
    assert "no dead letter" in missing.stderr


async def test_a_failing_endpoint_opens_its_circuit_and_a_probe_closes_it(
    platform_factory: PlatformFactory, sqlite_url: str
) -> None:
    platform = await platform_factory(
        bus="memory",
        db_url=sqlite_url,
        breaker_threshold=2,
        breaker_cooldown=0.5,
        retry_schedule=(0.2, 0.3),
        retry_max_attempts=20,
    )
    created = await register_operator(platform.services.journal.systems, operator_id="ops")
    platform.keys["ops"] = created["api_key"]
    platform.receiver.status = 503
    response = await platform.client.post(
        "/v1/messages", json=message(), headers=platform.auth("qlvb-a")
    )
    message_id = (await response.json())["id"]
    async with asyncio.timeout(10):
        while True:
            _, seen = await ops_get(platform, "/v1/ops/endpoints")
            if [e["state"] for e in seen["items"]] == ["open"]:
                break
            await asyncio.sleep(0.05)
    calls_when_open = len(platform.receiver.calls)
    await asyncio.sleep(0.3)  # open: deliveries wait, the endpoint is not called
    assert len(platform.receiver.calls) == calls_when_open
    attempts = await platform.services.journal.attempts(message_id)
    assert any("circuit open" in (a.error or "") for a in attempts)
    platform.receiver.status = 204
    await platform.wait_status(message_id, "delivered")
    _, seen = await ops_get(platform, "/v1/ops/endpoints")
    assert [e["state"] for e in seen["items"]] == ["closed"]


async def ops_get(platform: Platform, path: str) -> tuple[int, Any]:
    response = await platform.client.get(path, headers=platform.auth("ops"))
    return response.status, await response.json()


@pytest.mark.parametrize(
    ("message_type", "recorded_dead"),
    [("civil_status.birth", True), ("document.send", False)],
)
async def test_the_keeper_records_a_delivered_message_dead_only_while_work_remains(
    tmp_path: Path, message_type: str, recorded_dead: bool
) -> None:
    """A civil-status registration is followed after the Ministry holds it (``delivered``);
    a document is finished once delivered."""
    journal = await Journal.open(f"sqlite:///{tmp_path / 'j.db'}")
    try:
        message_id = new_message_id()
        await journal.accept(
            NewMessage(
                id=message_id,
                type=message_type,
                sender="000.00.00.H41",
                sender_system="a",
                recipients=(RECIPIENT,),
                created_at=datetime.now(UTC),
                payload=b"{}",
            )
        )
        await journal.change(
            StatusChange(message_id, Event("delivered", datetime.now(UTC)), new_status="delivered")
        )
        delivery = Delivery(
            message_id=message_id,
            routing_key=message_type,
            body=b"{}",
            type=message_type,
            headers={"x-death": [{"reason": "delivery_limit", "queue": "lgsp.x"}]},
            correlation_id=None,
            content_type="application/json",
            redelivered=True,
            delivery_count=21,
        )
        await DeadLetterKeeper(journal).handle(delivery)
        record = await journal.get(message_id)
        assert record is not None
        assert record.status == ("dead" if recorded_dead else "delivered")
    finally:
        await journal.close()
