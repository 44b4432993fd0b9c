"""GET /metrics: what a Prometheus scrape of the gateway reads after real traffic, on the embedded
bus; labels are route templates, types, axes and outcomes, never ids, names or ID numbers."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from lgsp.gateway import create_app
from tests.adapters.civil_status.civil_status_support import BIRTH, FATHER_ID, MOTHER_ID, NAMES
from tests.adapters.national.national_support import PORTAL
from tests.gateway.test_messages import message
from tests.gateway.test_requests import CITIZEN, KNOWN, LOOKER, LOOKUPS, UNKNOWN, Answerers
from tests.schemas.civil_national_samples import DOSSIER, OWNER
from tests.support import RECIPIENT, Platform

Client = TestClient[web.Request, web.Application]


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def scrape(client: Client) -> str:
    response = await client.get("/metrics")  # no key: a scrape is a network matter
    assert response.status == 200
    assert response.content_type == "text/plain"
    return await response.text()


async def value(client: Client, name: str, **labels: str) -> float | None:
    return samples(await scrape(client)).get((name, frozenset(labels.items())))


async def eventually(client: Client, name: str, expected: float, **labels: str) -> None:
    """The counter reaches ``expected`` (a handler's outcome is counted as it returns)."""
    async with asyncio.timeout(15):
        while await value(client, name, **labels) != expected:
            await asyncio.sleep(0.02)


@pytest.fixture
async def shared(memory_platform: Platform) -> AsyncIterator[Client]:
    """A gateway on the platform's own ``Metrics``, as ``lgsp run`` serves it: requests and the
    adapters' deliveries at one ``/metrics``."""
    services = memory_platform.services
    app = create_app(
        memory_platform.settings,
        bus=services.bus,
        journal=services.journal,
        blobs=services.blobs,
        acceptor=services.acceptor,
        metrics=services.metrics,
    )
    client: Client = TestClient(TestServer(app))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


async def test_http_requests_are_counted_by_route_template(memory_platform: Platform) -> None:
    client, auth = memory_platform.client, memory_platform.auth("qlvb-a")

    accepted = await client.post("/v1/messages", json=message(), headers=auth)
    assert accepted.status == 202
    message_id = (await accepted.json())["id"]
    invalid = await client.post("/v1/messages", json=message(body={}), headers=auth)
    assert invalid.status == 422
    seen = await client.get(f"/v1/messages/{message_id}", headers=auth)
    assert seen.status == 200
    assert (await client.get("/v1/nowhere/42")).status == 404

    text = await scrape(client)
    found = samples(text)

    def counted(name: str, **labels: str) -> float | None:
        return found.get((name, frozenset(labels.items())))

    requests = "lgsp_http_requests_total"
    assert counted(requests, method="POST", route="/v1/messages", status="202") == 1
    assert counted(requests, method="POST", route="/v1/messages", status="422") == 1
    assert counted(requests, method="GET", route="/v1/messages/{id}", status="200") == 1
    assert counted(requests, method="GET", route="unmatched", status="404") == 1
    durations = "lgsp_http_request_duration_seconds_count"
    assert counted(durations, route="/v1/messages") == 2
    assert counted("lgsp_messages_accepted_total", type="document.send") == 1
    assert counted("lgsp_messages_refused_total", status="422") == 1
    assert counted("lgsp_messages_refused_total", status="202") is None
    assert counted("lgsp_broker_connected") == 1
    assert counted("lgsp_requests_pending") == 0
    assert any(name == "lgsp_build_info" for name, _ in found)
    assert message_id not in text
    assert "/v1/nowhere" not in text


async def test_deliveries_are_counted_by_axis_and_outcome(
    memory_platform: Platform, shared: Client
) -> None:
    auth = memory_platform.auth("qlvb-a")
    delivered = await shared.post("/v1/messages", json=message(), headers=auth)
    await memory_platform.wait_status((await delivered.json())["id"], "delivered")
    await eventually(shared, "lgsp_deliveries_total", 1, axis="document", outcome="handled")

    memory_platform.receiver.status = 500  # three retries, then parked
    failing = await shared.post("/v1/messages", json=message(), headers=auth)
    await memory_platform.wait_status((await failing.json())["id"], "dead")
    await eventually(shared, "lgsp_deliveries_total", 1, axis="document", outcome="parked")

    deliveries = "lgsp_deliveries_total"
    assert await value(shared, deliveries, axis="document", outcome="retry") == 3
    assert await value(shared, deliveries, axis="document", outcome="requeued") is None
    assert await value(shared, "lgsp_delivery_duration_seconds_count", axis="document") == 5
    assert await value(shared, "lgsp_messages_accepted_total", type="document.send") == 2


async def lookups(platform: Platform) -> Answerers:
    await platform.add_system("hcc-lookup", LOOKER, may_send=[*LOOKUPS, "document.send"])
    answerers = Answerers(platform)
    await answerers.start()
    return answerers


async def test_lookups_are_counted_by_type_and_outcome(memory_platform: Platform) -> None:
    client = memory_platform.client
    answerers = await lookups(memory_platform)
    headers = memory_platform.auth("hcc-lookup")

    def citizen(personal_id: str, **extra: Any) -> dict[str, Any]:
        return {"type": "national.citizen_lookup", "body": {"personal_id": personal_id}, **extra}

    assert (await client.post("/v1/requests", json=citizen(KNOWN), headers=headers)).status == 200
    not_found = await client.post("/v1/requests", json=citizen(UNKNOWN), headers=headers)
    assert not_found.status == 200
    answerers.national.delay = 1.0
    deadline = (datetime.now(UTC) + timedelta(seconds=0.3)).isoformat()
    timed_out = await client.post(
        "/v1/requests", json=citizen(KNOWN, deadline=deadline), headers=headers
    )
    assert timed_out.status == 504

    lookup = "lgsp_lookups_total"
    kind = "national.citizen_lookup"
    assert await value(client, lookup, type=kind, outcome="found") == 1
    assert await value(client, lookup, type=kind, outcome="not_found") == 1
    assert await value(client, lookup, type=kind, outcome="timeout") == 1
    assert await value(client, "lgsp_lookup_duration_seconds_count", type=kind) == 3


# A 12-digit run that is not the tail of a UUID: a personal ID number.
_PERSONAL_ID = re.compile(r"(?<![0-9a-fA-F-])\d{12}(?![0-9a-fA-F])")


def named_and_labelled(text: str) -> list[str]:
    """Each sample line without its value (a float's digits are no label)."""
    return [
        line.rsplit(" ", 1)[0] for line in text.splitlines() if line and not line.startswith("#")
    ]


async def test_no_personal_data_reaches_a_metric(memory_platform: Platform) -> None:
    client = memory_platform.client
    await lookups(memory_platform)
    await memory_platform.add_system(
        "hotich",
        "000.00.21.H41",
        may_send=["civil_status.birth", "national.dossier_sync"],
    )
    headers = memory_platform.auth("hotich")
    birth = {"type": "civil_status.birth", "recipients": [RECIPIENT], "body": BIRTH}
    assert (await client.post("/v1/messages", json=birth, headers=headers)).status == 202
    broken = {**birth, "body": {**BIRTH, "father": {"full_name": NAMES[2], "personal_id": "12"}}}
    assert (await client.post("/v1/messages", json=broken, headers=headers)).status == 422
    dossier = {"type": "national.dossier_sync", "recipients": [PORTAL], "body": DOSSIER}
    assert (await client.post("/v1/messages", json=dossier, headers=headers)).status == 202
    lookup = {"type": "national.citizen_lookup", "body": CITIZEN}
    asked = await client.post(
        "/v1/requests", json=lookup, headers=memory_platform.auth("hcc-lookup")
    )
    assert asked.status == 200
    for path in (f"/v1/messages/{MOTHER_ID}", f"/v1/{FATHER_ID}/{OWNER}"):
        assert (await client.get(path, headers=headers)).status == 404

    text = await scrape(client)

    found = samples(text)
    assert found[("lgsp_messages_accepted_total", frozenset({("type", "civil_status.birth")}))]
    for secret in (KNOWN, MOTHER_ID, FATHER_ID, CITIZEN["full_name"], OWNER, *NAMES):
        assert secret not in text
    for part in named_and_labelled(text):
        assert not _PERSONAL_ID.search(part), part
