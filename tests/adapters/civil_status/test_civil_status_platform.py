"""The joined procedures through the whole platform: a provincial system posts to the gateway, the
civil-status adapter consumes the bus, and the sender reads the legs at GET /v1/messages/{id}.
On the embedded bus, and on RabbitMQ (integration)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from lgsp.adapters.civil_status import create
from tests.adapters.civil_status.civil_status_support import (
    FATHER_ID,
    LTKS,
    REGISTRAR,
    SENDER,
    FarSide,
)
from tests.schemas.civil_national_samples import DEATH_LTKT
from tests.support import Platform, PlatformFactory

SYSTEM = "hotich-a"
TYPES = [
    "civil_status.birth",
    "civil_status.death",
    "civil_status.marriage",
    "civil_status.lookup",
]


async def start(platform_factory: PlatformFactory, far_side: FarSide, **overrides: Any) -> Platform:
    settings = {
        **far_side.settings(),
        "civil_status_poll_interval": 0.05,
        "retry_max_attempts": 20,
        **overrides,
    }
    platform = await platform_factory(**settings)
    await platform.add_system(SYSTEM, SENDER, may_send=TYPES)
    adapter = create(platform.services.adapter_context())
    await platform.services.bus.consume(adapter.axis, adapter.handle)
    await platform.services.bus.serve_requests(adapter.axis, adapter.answer)
    return platform


async def post(platform: Platform, message_type: str, body: dict[str, Any]) -> str:
    response = await platform.client.post(
        "/v1/messages",
        json={"type": message_type, "recipients": [REGISTRAR], "body": body},
        headers=platform.auth(SYSTEM),
    )
    assert response.status == 202, await response.text()
    message_id: str = (await response.json())["id"]
    return message_id


async def view(platform: Platform, message_id: str) -> dict[str, Any]:
    response = await platform.client.get(
        f"/v1/messages/{message_id}", headers=platform.auth(SYSTEM)
    )
    assert response.status == 200
    seen: dict[str, Any] = await response.json()
    return seen


async def wait_for_leg(platform: Platform, message_id: str, leg: str, state: str) -> None:
    async with asyncio.timeout(15):
        while True:
            legs = {
                item["leg"]: item for item in (await view(platform, message_id)).get("legs", [])
            }
            if legs.get(leg, {}).get("state") == state:
                return
            await asyncio.sleep(0.02)


async def ltks_with_a_leg_down_then_back(platform: Platform, far_side: FarSide) -> None:
    await far_side.switch("health_insurance", down=True)
    message_id = await post(platform, "civil_status.birth", LTKS)

    await wait_for_leg(platform, message_id, "health_insurance", "failed")
    seen = await view(platform, message_id)
    legs = {item["leg"]: item for item in seen["legs"]}
    assert legs["civil_status"]["state"] in ("registered", "done")
    assert legs["residence"]["state"] == "done"
    assert legs["health_insurance"]["reason"] == "health insurance answered HTTP 503"

    await far_side.switch("health_insurance", down=False)
    await platform.wait_status(message_id, "done", timeout=20)
    seen = await view(platform, message_id)
    assert seen["status"] == "done"
    legs = {item["leg"]: item for item in seen["legs"]}
    assert [item["leg"] for item in seen["legs"]] == [
        "civil_status",
        "residence",
        "health_insurance",
    ]
    assert all(item["state"] == "done" for item in seen["legs"])
    assert "reason" not in legs["health_insurance"]  # the failure no longer stands
    child_id = legs["civil_status"]["result"]["personal_id"]
    assert legs["health_insurance"]["result"]["card_number"].endswith(child_id[-10:])
    assert legs["residence"]["result"]["residence_record_number"].startswith("CT054")
    events = [e["status"] for e in seen["events"]]
    assert "delivered" in events
    assert "ministry.done" in events
    assert "retrying" in events
    assert await far_side.register_calls() == 1
    assert await far_side.calls("residence") == 1


async def test_ltks_through_the_gateway_on_the_embedded_bus(
    platform_factory: PlatformFactory, far_side: FarSide, sqlite_url: str
) -> None:
    platform = await start(platform_factory, far_side, bus="memory", db_url=sqlite_url)
    await ltks_with_a_leg_down_then_back(platform, far_side)


async def test_ltkt_through_the_gateway_on_the_embedded_bus(
    platform_factory: PlatformFactory, far_side: FarSide, sqlite_url: str
) -> None:
    platform = await start(platform_factory, far_side, bus="memory", db_url=sqlite_url)
    await far_side.switch("funeral_allowance", error_rate=1.0)
    message_id = await post(platform, "civil_status.death", DEATH_LTKT)
    await wait_for_leg(platform, message_id, "funeral_allowance", "failed")
    await far_side.switch("funeral_allowance", error_rate=0.0)
    await platform.wait_status(message_id, "done", timeout=20)
    legs = {item["leg"]: item for item in (await view(platform, message_id))["legs"]}
    assert legs["residence"]["result"]["residence_record_number"].startswith("XCT054")
    assert legs["funeral_allowance"]["result"]["amount_vnd"] > 0
    assert await far_side.calls("residence") == 1


async def test_a_refused_registration_is_dead_with_the_ministrys_code(
    platform_factory: PlatformFactory, far_side: FarSide, sqlite_url: str
) -> None:
    # This province's key belongs to another unit at the Ministry: 106, for good.
    platform = await start(
        platform_factory,
        far_side,
        bus="memory",
        db_url=sqlite_url,
        civil_status_unit="000.00.00.H14",
    )
    message_id = await post(platform, "civil_status.birth", LTKS)
    await platform.wait_status(message_id, "dead")
    seen = await view(platform, message_id)
    [dead] = [e for e in seen["events"] if e["status"] == "dead"]
    assert dead["detail"]["code"] == 106
    assert "code 106 (wrong agency)" in dead["detail"]["reason"]
    legs = {item["leg"]: item for item in seen["legs"]}
    assert legs["civil_status"]["state"] == "refused"
    assert legs["civil_status"]["code"] == 106
    assert legs["residence"]["state"] == "pending"
    assert await far_side.calls("residence") == 0


@pytest.mark.integration
async def test_ltks_through_rabbitmq(
    platform_factory: PlatformFactory, far_side: FarSide, sqlite_url: str, rabbit_url: str
) -> None:
    platform = await start(
        platform_factory, far_side, bus="rabbitmq", db_url=sqlite_url, broker_url=rabbit_url
    )
    await ltks_with_a_leg_down_then_back(platform, far_side)


async def test_an_ltks_without_the_childs_home_is_refused_at_the_door(
    platform_factory: PlatformFactory, far_side: FarSide, sqlite_url: str
) -> None:
    platform = await start(platform_factory, far_side, bus="memory", db_url=sqlite_url)
    body = {**LTKS, "mother": {k: v for k, v in LTKS["mother"].items() if k != "residence"}}
    response = await platform.client.post(
        "/v1/messages",
        json={"type": "civil_status.birth", "recipients": [REGISTRAR], "body": body},
        headers=platform.auth(SYSTEM),
    )
    assert response.status == 422
    problem = await response.json()
    assert [e["loc"] for e in problem["errors"]] == [["body", "registration_kind"]]
    assert problem["errors"][0]["type"] == "ltks_residence_required"
    assert await far_side.register_calls() == 0


async def lookup(platform: Platform, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = await platform.client.post(
        "/v1/requests",
        json={"type": "civil_status.lookup", "body": body},
        headers=platform.auth(SYSTEM),
    )
    answer: dict[str, Any] = await response.json()
    return response.status, answer


async def a_registered_birth_is_looked_up(platform: Platform, far_side: FarSide) -> None:
    message_id = await post(platform, "civil_status.birth", LTKS)
    await platform.wait_status(message_id, "done", timeout=20)
    legs = {item["leg"]: item for item in (await view(platform, message_id))["legs"]}
    child_id = legs["civil_status"]["result"]["personal_id"]

    status, answer = await lookup(platform, {"record_kind": "birth", "personal_id": child_id})
    assert status == 200, answer
    assert answer["found"] is True
    assert answer["answer"]["personal_id"] == child_id
    number = legs["civil_status"]["result"]["registration_number"]
    assert answer["answer"]["registration_number"] == number

    status, answer = await lookup(platform, {"record_kind": "birth", "personal_id": FATHER_ID})
    assert (status, answer["found"], answer["answer"]) == (200, False, None)

    await far_side.switch("civil_status", down=True)
    status, answer = await lookup(platform, {"record_kind": "birth", "personal_id": child_id})
    assert status == 502
    assert answer["status"] == 502


async def test_a_lookup_through_the_gateway_on_the_embedded_bus(
    platform_factory: PlatformFactory, far_side: FarSide, sqlite_url: str
) -> None:
    platform = await start(platform_factory, far_side, bus="memory", db_url=sqlite_url)
    await a_registered_birth_is_looked_up(platform, far_side)


@pytest.mark.integration
async def test_a_lookup_through_rabbitmq(
    platform_factory: PlatformFactory, far_side: FarSide, sqlite_url: str, rabbit_url: str
) -> None:
    platform = await start(
        platform_factory, far_side, bus="rabbitmq", db_url=sqlite_url, broker_url=rabbit_url
    )
    await a_registered_birth_is_looked_up(platform, far_side)
