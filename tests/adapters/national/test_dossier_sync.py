"""Dossier sync through the whole platform (gateway, embedded bus, journal, national adapter) to
the public service portal simulator, which refuses a status lower than the last it recorded:
its history proves each dossier's statuses arrived in order.

Covered: statuses sent quickly; an earlier status retrying while later ones wait; waiting that
spends no retry budget; refusals and spent retries parked in dead letters with their reason,
holding nothing back. Restarts are in ``test_dossier_restart``.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from structlog.testing import capture_logs

from lgsp.adapters.national import NationalAdapter
from lgsp.bus import Delivery
from lgsp.errors import PermanentDeliveryError
from lgsp.journal import MessageRecord, NewMessage
from tests.adapters.national.national_support import (
    NAME,
    PERSON,
    PORTAL,
    Simulator,
    dossier,
    request,
)
from tests.support import Platform, PlatformFactory

ONE_STOP_SHOP = "000.00.21.H41"
DOSSIER = "000.00.21.H41-261123-0001"
PATIENCE = 20.0


class Dossiers:
    """A platform with a one-stop-shop system that may sync dossiers, and the national adapter
    consuming the axis's queue (its deliveries counted per message)."""

    def __init__(self, platform: Platform, simulator: Simulator) -> None:
        self.platform = platform
        self.simulator = simulator
        self.journal = platform.services.journal
        self.handled: Counter[str] = Counter()
        self.adapter: NationalAdapter | None = None

    async def start_adapter(self) -> NationalAdapter:
        adapter = NationalAdapter(self.platform.services.adapter_context(), order_wait=0.05)

        async def handle(delivery: Delivery) -> None:
            self.handled[delivery.message_id] += 1
            await adapter.handle(delivery)

        await self.platform.services.bus.consume("national", handle)
        self.adapter = adapter
        return adapter

    async def send(self, status: int, code: str = DOSSIER, **extra: Any) -> str:
        response = await self.platform.client.post(
            "/v1/messages",
            json={
                "type": "national.dossier_sync",
                "recipients": [PORTAL],
                "body": dossier(status, code, **extra),
            },
            headers=self.platform.auth("motcua"),
        )
        assert response.status == 202, await response.text()
        message_id: str = (await response.json())["id"]
        return message_id

    async def record(self, message_id: str) -> MessageRecord:
        record = await self.journal.get(message_id)
        assert record is not None
        return record

    async def until(self, message_id: str, check: Any, timeout: float = PATIENCE) -> MessageRecord:
        async with asyncio.timeout(timeout):
            while True:
                record = await self.record(message_id)
                if check(record):
                    return record
                await asyncio.sleep(0.02)

    async def settled(self, message_id: str, status: str) -> MessageRecord:
        return await self.platform.wait_status(message_id, status, timeout=PATIENCE)

    async def waiting(self, message_id: str) -> MessageRecord:
        return await self.until(message_id, lambda r: any(e.status == "waiting" for e in r.events))

    async def attempts(self, message_id: str) -> list[str]:
        return [a.outcome for a in await self.journal.attempts(message_id)]


async def open_dossiers(
    platform_factory: PlatformFactory,
    simulator: Simulator,
    sqlite_url: str,
    *,
    start: bool = True,
    bus: str = "memory",
    **overrides: Any,
) -> Dossiers:
    platform = await platform_factory(
        bus=bus, db_url=sqlite_url, **simulator.settings(), **overrides
    )
    await platform.add_system("motcua", ONE_STOP_SHOP, may_send=["national.dossier_sync"])
    dossiers = Dossiers(platform, simulator)
    if start:
        await dossiers.start_adapter()
    return dossiers


@pytest.fixture
async def dossiers(
    platform_factory: PlatformFactory, simulator: Simulator, sqlite_url: str
) -> Dossiers:
    return await open_dossiers(platform_factory, simulator, sqlite_url)


async def test_the_order_key_is_recorded_at_accept_time(dossiers: Dossiers) -> None:
    record = await dossiers.record(await dossiers.send(1))
    assert record.order_key == f"dossier:{DOSSIER}"


async def test_statuses_sent_quickly_arrive_in_order(dossiers: Dossiers) -> None:
    codes = [f"000.00.21.H41-261123-000{n}" for n in range(1, 4)]
    statuses = [1, 2, 4, 4, 5, 6, 9, 10]  # 4 twice: a new step while processing
    sent = [await dossiers.send(status, code) for status in statuses for code in codes]
    for message_id in sent:
        await dossiers.settled(message_id, "delivered")
    for code in codes:
        assert await dossiers.simulator.history(code) == [1, 2, 4, 5, 6, 9, 10]
    for message_id in sent:
        assert await dossiers.attempts(message_id) == ["delivered"]
    entry = (await dossiers.simulator.entries(codes[0]))[-1]
    assert (entry["MaHoSo"], entry["NgayTiepNhan"], entry["NgayTra"]) == (
        codes[0],
        "20261123081500",
        "20261124041500",
    )


async def test_later_statuses_wait_for_an_earlier_one_retrying(
    platform_factory: PlatformFactory, simulator: Simulator, sqlite_url: str
) -> None:
    dossiers = await open_dossiers(
        platform_factory, simulator, sqlite_url, retry_schedule=(0.1,), retry_max_attempts=100
    )
    first = await dossiers.send(1)
    await dossiers.settled(first, "delivered")
    await simulator.switch(error_rate=1.0)
    second = await dossiers.send(2)
    await dossiers.settled(second, "retrying")
    fourth = await dossiers.send(4)
    waiting = await dossiers.waiting(fourth)
    [event] = [e for e in waiting.events if e.status == "waiting"]
    assert event.detail is not None
    assert event.detail["behind"] == second
    await asyncio.sleep(0.5)  # status 2 keeps failing; 4 keeps waiting, and never calls
    assert await dossiers.attempts(fourth) == []
    assert (await dossiers.record(fourth)).status == "queued"
    await simulator.switch(error_rate=0.0)
    await dossiers.settled(fourth, "delivered")
    assert await simulator.history(DOSSIER) == [1, 2, 4]
    tries = await dossiers.attempts(second)
    assert tries[-1] == "delivered"
    assert tries.count("failed") >= 2
    assert await dossiers.attempts(fourth) == ["delivered"]


async def test_waiting_spends_no_retry_budget(dossiers: Dossiers, simulator: Simulator) -> None:
    # The budget is 3 retries (tests.support); status 2 waits many more times than that while
    # status 1 takes its time at the portal, and is delivered all the same.
    await simulator.switch(latency=0.6)
    first = await dossiers.send(1)
    second = await dossiers.send(2)
    await dossiers.settled(second, "delivered")
    budget = dossiers.platform.settings.retry_max_attempts
    assert dossiers.handled[second] > budget + 2
    assert await dossiers.attempts(second) == ["delivered"]
    assert (await dossiers.record(first)).status == "delivered"
    assert await simulator.history(DOSSIER) == [1, 2]


async def test_a_refused_status_is_dead_with_the_reason_and_holds_nothing_back(
    dossiers: Dossiers, simulator: Simulator
) -> None:
    with capture_logs() as logs:
        await dossiers.settled(await dossiers.send(4), "delivered")
        late = await dossiers.send(2)  # lower than what the portal has: refused with 409
        dead = await dossiers.settled(late, "dead")
    assert any(entry["event"] == "parked" for entry in logs)
    assert all(NAME not in repr(entry) for entry in logs)  # the dossier's owner
    assert dead.events[-1].detail is not None
    reason = dead.events[-1].detail["reason"]
    assert "409 STATUS_OUT_OF_ORDER" in reason
    assert await dossiers.attempts(late) == ["failed"]  # a refusal is not retried
    await dossiers.settled(await dossiers.send(9), "delivered")
    assert await simulator.history(DOSSIER) == [4, 9]
    assert (await dossiers.record(late)).status == "dead"


async def test_a_status_dead_after_its_retries_holds_nothing_back(
    dossiers: Dossiers, simulator: Simulator
) -> None:
    await simulator.switch(error_rate=1.0)
    doomed = await dossiers.send(2)
    later = await dossiers.send(4)
    dead = await dossiers.settled(doomed, "dead")
    await simulator.switch(error_rate=0.0)
    assert dead.events[-1].detail is not None
    assert dead.events[-1].detail["reason"].startswith("gave up after 4 attempts")
    await dossiers.settled(later, "delivered")
    assert await simulator.history(DOSSIER) == [4]
    assert (await dossiers.attempts(later))[-1] == "delivered"


async def test_an_invalid_dossier_never_reaches_the_portal(dossiers: Dossiers) -> None:
    response = await dossiers.platform.client.post(
        "/v1/messages",
        json={"type": "national.dossier_sync", "recipients": [PORTAL], "body": {"status": 4}},
        headers=dossiers.platform.auth("motcua"),
    )
    assert response.status == 422


async def test_a_foreign_message_on_the_work_queue_is_parked(dossiers: Dossiers) -> None:
    delivery = request("national.citizen_lookup", {"personal_id": PERSON})
    await dossiers.journal.accept(
        NewMessage(
            id=delivery.message_id,
            type=delivery.type,
            sender=ONE_STOP_SHOP,
            sender_system="motcua",
            recipients=(),
            created_at=datetime.now(UTC),
            payload=delivery.body,
        )
    )
    assert dossiers.adapter is not None
    with pytest.raises(PermanentDeliveryError, match=r"national\.dossier_sync only"):
        await dossiers.adapter.handle(delivery)
    assert (await dossiers.record(delivery.message_id)).status == "dead"
    assert await dossiers.attempts(delivery.message_id) == []
