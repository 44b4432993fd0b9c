"""Fixtures of the national adapter's tests: the national platform simulator on a test clock,
and the adapter's surroundings (settings, journal, bus, HTTP client)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from lgsp.adapters import AdapterContext
from lgsp.blobs import DirectoryBlobStore
from lgsp.bus import MemoryBus, Topology
from lgsp.journal import Journal
from lgsp.simulators.national_platform import run_national_simulator
from tests.adapters.national.national_support import CONFIG, FakeClock, Simulator
from tests.support import make_settings, unique_prefix


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def simulator(clock: FakeClock) -> AsyncIterator[Simulator]:
    """The simulator on the test's clock (tokens expire when the test says so)."""
    async with (
        run_national_simulator(CONFIG, clock=clock) as url,
        httpx.AsyncClient(timeout=5) as http,
    ):
        yield Simulator(url, http, clock)


@pytest.fixture
async def context(simulator: Simulator, tmp_path: Path) -> AsyncIterator[AdapterContext]:
    """What the adapter is given, pointed at the simulator; the bus is not started (lookups are
    answered by calling ``answer`` directly)."""
    db_url = f"sqlite:///{tmp_path / 'lgsp.db'}"
    settings = make_settings(bus="memory", db_url=db_url, **simulator.settings())
    journal = await Journal.open(settings.db_url)
    try:
        async with httpx.AsyncClient(timeout=5) as http:
            yield AdapterContext(
                settings,
                MemoryBus(Topology(prefix=unique_prefix())),
                journal,
                http,
                DirectoryBlobStore(tmp_path / "blobs"),
            )
    finally:
        await journal.close()
