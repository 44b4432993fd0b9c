"""Dossier statuses stay in order, and none is lost, when the national adapter is stopped with
statuses retrying and waiting and a new one takes over: on the embedded bus (the same bus,
consumers stopped and started again) and on RabbitMQ (separate adapter processes' services on
the same broker and journal, the first one closed with work in hand)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager

import pytest

from lgsp.adapters.national import NationalAdapter
from lgsp.runtime import open_services
from lgsp.settings import Settings
from tests.adapters.national.national_support import Simulator
from tests.adapters.national.test_dossier_sync import DOSSIER, Dossiers, open_dossiers
from tests.support import PlatformFactory

OTHER = "000.00.21.H41-261123-0002"
# Retries every 0.1 s and never given up within the test: the first status must still be
# retrying when the adapter stops.
RETRIES = {"retry_schedule": (0.1,), "retry_max_attempts": 1000}

Step = Callable[[], Awaitable[None]]


async def stop_and_take_over(dossiers: Dossiers, start: Step, stop: Step) -> None:
    simulator = dossiers.simulator
    await simulator.switch(error_rate=1.0, latency=0.1)
    await start()
    first, second, fourth = [await dossiers.send(status) for status in (1, 2, 4)]
    others = [await dossiers.send(status, OTHER) for status in (1, 2)]
    await dossiers.settled(first, "retrying")
    await dossiers.waiting(second)
    await dossiers.waiting(fourth)
    await stop()  # status 1 retrying (in a delay queue or in flight), 2 and 4 waiting
    await simulator.switch(error_rate=0.0)
    await start()
    for message_id in (first, second, fourth, *others):
        await dossiers.settled(message_id, "delivered")
    assert await simulator.history(DOSSIER) == [1, 2, 4]
    assert await simulator.history(OTHER) == [1, 2]
    for message_id in (first, second, fourth, *others):
        assert (await dossiers.attempts(message_id)).count("delivered") == 1
    for message_id in (second, fourth):
        assert "failed" not in await dossiers.attempts(message_id)  # waited, never tried early


async def test_order_kept_through_an_adapter_restart_on_the_embedded_bus(
    platform_factory: PlatformFactory, simulator: Simulator, sqlite_url: str
) -> None:
    dossiers = await open_dossiers(platform_factory, simulator, sqlite_url, start=False, **RETRIES)
    bus = dossiers.platform.services.bus

    async def start() -> None:
        await dossiers.start_adapter()

    async def stop() -> None:
        # The embedded bus keeps its delayed messages only while it runs: stopping its
        # consumers (not the bus) is how an embedded adapter restarts.
        await bus.stop_consuming(0.05)

    await stop_and_take_over(dossiers, start, stop)


@asynccontextmanager
async def adapter_process(settings: Settings) -> AsyncIterator[None]:
    """The national adapter as ``lgsp adapter national`` runs it: its own journal, bus
    connection and HTTP client; on the way out it stops consuming and closes with whatever is
    still in hand (which goes back to the queue)."""
    async with open_services(settings) as services:
        adapter = NationalAdapter(services.adapter_context(), order_wait=0.05)
        await services.bus.consume("national", adapter.handle)
        try:
            yield
        finally:
            await services.bus.stop_consuming(0.05)


@pytest.mark.integration
async def test_order_kept_through_an_adapter_restart_on_rabbitmq(
    platform_factory: PlatformFactory, simulator: Simulator, sqlite_url: str, rabbit_url: str
) -> None:
    dossiers = await open_dossiers(
        platform_factory,
        simulator,
        sqlite_url,
        start=False,
        bus="rabbitmq",
        broker_url=rabbit_url,
        **RETRIES,
    )
    async with AsyncExitStack() as running:

        async def start() -> None:
            await running.enter_async_context(adapter_process(dossiers.platform.settings))

        async def stop() -> None:
            await running.aclose()

        await stop_and_take_over(dossiers, start, stop)
