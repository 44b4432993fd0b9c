"""Fixtures of the civil-status adapter's tests: the Ministry's and the agencies' simulators, one
per far side (so one can fail while the others work), and the adapter's surroundings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from lgsp.adapters.civil_status import dossier_code
from lgsp.ids import new_message_id
from lgsp.journal import Journal
from lgsp.simulators.agency import run_agency_simulator
from lgsp.simulators.agency_state import Agency, AgencyConfig
from lgsp.simulators.civil_status import run_civil_status_simulator
from lgsp.simulators.civil_status_state import CivilStatusConfig
from tests.adapters.civil_status.civil_status_support import KEYS, UNIT, FarSide, Harness


@dataclass(frozen=True)
class Chosen:
    """Message ids chosen before the simulators start, so their dossiers walk a set path."""

    papers: str
    """The Ministry asks for more papers: 1, 2, 3, 4."""
    failing: str
    """The Ministry ends it in error: 1, 0."""
    refused_allowance: str
    """Social security refuses the funeral allowance for good."""


@pytest.fixture
def chosen() -> Chosen:
    return Chosen(new_message_id(), new_message_id(), new_message_id())


@pytest.fixture
async def far_side(chosen: Chosen) -> AsyncIterator[FarSide]:
    ministry = CivilStatusConfig(
        api_keys={UNIT: KEYS["civil_status"], "000.00.00.H14": "key-moj-h14"},
        needs_more_papers=frozenset({dossier_code(chosen.papers)}),
        failing=frozenset({dossier_code(chosen.failing)}),
        seed=5,
    )
    refusing = {
        Agency.FUNERAL_ALLOWANCE: frozenset({f"{dossier_code(chosen.refused_allowance)}-MT"})
    }
    async with AsyncExitStack() as stack:
        urls = {
            "civil_status": await stack.enter_async_context(run_civil_status_simulator(ministry))
        }
        for agency in Agency:
            config = AgencyConfig(
                agency,
                api_keys={UNIT: KEYS[agency.value]},
                refusing=refusing.get(agency, frozenset()),
                seed=5,
            )
            urls[agency.value] = await stack.enter_async_context(run_agency_simulator(config))
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=5))
        yield FarSide(http, urls)


async def _harness(journal: Journal, far_side: FarSide, tmp_path: Path) -> AsyncIterator[Harness]:
    async with httpx.AsyncClient(timeout=5) as http:
        yield Harness(journal, http, far_side, tmp_path)


@pytest.fixture
async def harness(far_side: FarSide, sqlite_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    """On a SQLite journal of the test's own."""
    journal = await Journal.open(sqlite_url)
    try:
        async for harness in _harness(journal, far_side, tmp_path):
            yield harness
    finally:
        await journal.close()


@pytest.fixture
async def harness_each_db(
    far_side: FarSide, journal: Journal, tmp_path: Path
) -> AsyncIterator[Harness]:
    """On the shared ``journal`` fixture: SQLite and PostgreSQL."""
    async for harness in _harness(journal, far_side, tmp_path):
        yield harness
