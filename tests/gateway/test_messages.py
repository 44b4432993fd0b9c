"""POST /v1/messages and GET /v1/messages/{id}: the whole path from a caller to a webhook."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lgsp.adapters.webhook import verify
from lgsp.ids import new_message_id
from lgsp.journal import NewMessage
from tests.support import RECIPIENT, SENDER, Platform, PlatformFactory

DOCUMENT: dict[str, Any] = {
    "code": {"number": "7816", "notation": "VPCP-TTĐT"},
    "promulgation": {"place": "Hà Nội", "date": "2026-11-20"},
    "subject": "V/v kết nối, liên thông phần mềm quản lý văn bản",
}


def message(**overrides: Any) -> dict[str, Any]:
    return {"type": "document.send", "recipients": [RECIPIENT], "body": DOCUMENT, **overrides}


@pytest.fixture(
    params=[
        "memory-sqlite",
        pytest.param("rabbitmq-sqlite", marks=pytest.mark.integration),
        pytest.param("rabbitmq-postgresql", marks=pytest.mark.integration),
    ]
)
async def platform(request: pytest.FixtureRequest, platform_factory: PlatformFactory) -> Platform:
    """The platform on the embedded bus, and on RabbitMQ with each journal engine."""
    bus, engine = request.param.split("-")
    db_url = request.getfixturevalue("sqlite_url" if engine == "sqlite" else "pg_url")
    broker_url = request.getfixturevalue("rabbit_url") if bus == "rabbitmq" else ""
    return await platform_factory(bus=bus, db_url=db_url, broker_url=broker_url)


async def test_document_reaches_recipient_webhook_signed(platform: Platform) -> None:
    response = await platform.client.post(
        "/v1/messages", json=message(correlation_id="c-1"), headers=platform.auth("qlvb-a")
    )
    assert response.status == 202, await response.text()
    accepted = await response.json()
    assert accepted["status"] == "accepted"
    assert response.headers["Location"] == f"/v1/messages/{accepted['id']}"

    await platform.receiver.wait_for(1)
    system, headers, body = platform.receiver.calls[0]
    assert system == "qlvb-b"
    assert headers["X-LGSP-Message-Id"] == accepted["id"]
    assert headers["X-LGSP-Type"] == "document.send"
    assert verify(
        platform.secrets["qlvb-b"], headers["X-LGSP-Timestamp"], body, headers["X-LGSP-Signature"]
    )
    assert not verify(
        platform.secrets["qlvb-a"], headers["X-LGSP-Timestamp"], body, headers["X-LGSP-Signature"]
    )
    envelope = json.loads(body)
    assert envelope["id"] == accepted["id"]
    assert envelope["sender"] == SENDER  # from the credentials, not the body
    assert envelope["recipients"] == [RECIPIENT]
    assert envelope["correlation_id"] == "c-1"
    assert envelope["body"]["subject"] == DOCUMENT["subject"]

    await platform.wait_status(accepted["id"], "delivered")
    seen = await platform.client.get(
        f"/v1/messages/{accepted['id']}", headers=platform.auth("qlvb-a")
    )
    assert seen.status == 200
    view = await seen.json()
    assert view["status"] == "delivered"
    assert view["sender"] == SENDER
    statuses = [(e["status"], e.get("recipient")) for e in view["events"]]
    assert ("accepted", None) in statuses
    assert ("delivered", RECIPIENT) in statuses

    by_recipient = await platform.client.get(
        f"/v1/messages/{accepted['id']}", headers=platform.auth("qlvb-b")
    )
    assert by_recipient.status == 200
    stranger = await platform.client.get(
        f"/v1/messages/{accepted['id']}", headers=platform.auth("qlvb-c")
    )
    assert stranger.status == 404
    assert stranger.content_type == "application/problem+json"


async def test_idempotency_replay_and_conflict(platform: Platform) -> None:
    headers = {**platform.auth("qlvb-a"), "Idempotency-Key": "order-42"}
    first = await platform.client.post("/v1/messages", json=message(), headers=headers)
    assert first.status == 202
    again = await platform.client.post("/v1/messages", json=message(), headers=headers)
    assert again.status == 202
    assert (await again.json())["id"] == (await first.json())["id"]
    assert again.headers["Idempotent-Replayed"] == "true"

    other = message(body={**DOCUMENT, "subject": "another document"})
    conflict = await platform.client.post("/v1/messages", json=other, headers=headers)
    assert conflict.status == 409
    problem = await conflict.json()
    assert problem["status"] == 409
    assert problem["title"] == "Idempotency conflict"

    await platform.wait_status((await first.json())["id"], "delivered")
    assert len(platform.receiver.calls) == 1  # the replay was not sent again


async def test_message_to_unregistered_agency_is_parked_with_reason(platform: Platform) -> None:
    response = await platform.client.post(
        "/v1/messages", json=message(recipients=["000.00.99.H41"]), headers=platform.auth("qlvb-a")
    )
    assert response.status == 202
    message_id = (await response.json())["id"]
    record = await platform.wait_status(message_id, "dead")
    dead = [e for e in record.events if e.status == "dead"]
    assert "not registered in this province" in dead[0].detail["reason"]


async def test_failing_webhook_is_retried_then_parked(platform: Platform) -> None:
    platform.receiver.status = 500
    response = await platform.client.post(
        "/v1/messages", json=message(), headers=platform.auth("qlvb-a")
    )
    message_id = (await response.json())["id"]
    record = await platform.wait_status(message_id, "dead")
    attempts = await platform.services.journal.attempts(message_id)
    assert [a.outcome for a in attempts] == ["failed"] * 4  # the first try and 3 retries
    assert all(a.status_code == 500 for a in attempts)
    assert "answered 500" in (attempts[0].error or "")
    assert [e.status for e in record.events].count("retrying") == 3
    dead = next(e for e in record.events if e.status == "dead")
    assert dead.detail is not None
    assert dead.detail["reason"].startswith("gave up after 4 attempts")


async def test_a_webhook_that_recovers_gets_the_message_once(platform: Platform) -> None:
    platform.receiver.script = [503, 500]
    response = await platform.client.post(
        "/v1/messages", json=message(), headers=platform.auth("qlvb-a")
    )
    message_id = (await response.json())["id"]
    record = await platform.wait_status(message_id, "delivered")
    assert len(platform.receiver.calls) == 3
    assert [e.status for e in record.events].count("retrying") == 2
    attempts = await platform.services.journal.attempts(message_id)
    assert [a.outcome for a in attempts] == ["failed", "failed", "delivered"]


async def test_a_refusing_webhook_is_not_retried(platform: Platform) -> None:
    platform.receiver.status = 422
    response = await platform.client.post(
        "/v1/messages", json=message(), headers=platform.auth("qlvb-a")
    )
    message_id = (await response.json())["id"]
    record = await platform.wait_status(message_id, "dead")
    assert len(platform.receiver.calls) == 1
    assert "retrying" not in [e.status for e in record.events]
    assert any(e.status == "refused" for e in record.events)


async def test_a_deadline_stops_the_retries(platform: Platform) -> None:
    platform.receiver.status = 500
    soon = (datetime.now(UTC) + timedelta(seconds=0.12)).isoformat()
    response = await platform.client.post(
        "/v1/messages", json=message(deadline=soon), headers=platform.auth("qlvb-a")
    )
    message_id = (await response.json())["id"]
    record = await platform.wait_status(message_id, "dead")
    dead = next(e for e in record.events if e.status == "dead")
    assert dead.detail is not None
    assert dead.detail["reason"].startswith("deadline")
    assert len(platform.receiver.calls) < 4


async def test_a_retry_recovers_a_message_its_gateway_died_with(
    platform_factory: PlatformFactory, sqlite_url: str
) -> None:
    """Journaled, never confirmed (the gateway was killed between the two): the client's retry
    with the same Idempotency-Key publishes it from the journal, and it is delivered."""
    platform = await platform_factory(bus="memory", db_url=sqlite_url)
    raw = json.dumps(message()).encode()
    ghost = NewMessage(
        id=new_message_id(),
        type="document.send",
        sender=SENDER,
        sender_system="qlvb-a",
        recipients=(RECIPIENT,),
        created_at=datetime.now(UTC) - timedelta(minutes=1),
        payload=raw,
        idempotency_key="k-ghost",
        request_hash=hashlib.sha256(raw).hexdigest(),
    )
    await platform.services.journal.accept(ghost)
    response = await platform.client.post(
        "/v1/messages",
        data=raw,
        headers={
            **platform.auth("qlvb-a"),
            "Idempotency-Key": "k-ghost",
            "Content-Type": "application/json",
        },
    )
    assert response.status == 202
    assert (await response.json())["id"] == ghost.id
    await platform.wait_status(ghost.id, "delivered")
    assert len(platform.receiver.calls) == 1
