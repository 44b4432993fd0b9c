"""Order keys on both engines: which earlier message with the same key still holds one back, and
the failed attempts that make up a message's retry budget."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from lgsp.ids import new_message_id
from lgsp.journal import Attempt, Event, Journal, NewMessage, StatusChange

SENDER = "000.00.00.H41"
PORTAL = "000.00.00.G22"
KEY = "dossier:000.00.21.H21-260310-0007"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """conftest's ``db_url``, with the PostgreSQL variant marked as an integration test."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'lgsp.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


async def accept(journal: Journal, *, key: str | None = KEY, **overrides: Any) -> str:
    values: dict[str, Any] = {
        "id": new_message_id(),
        "type": "national.dossier_sync",
        "sender": SENDER,
        "sender_system": "motcua",
        "recipients": (PORTAL,),
        "created_at": datetime.now(UTC),
        "payload": b"{}",
        "order_key": key,
    }
    values.update(overrides)
    await journal.accept(NewMessage(**values))
    return str(values["id"])


async def settle(journal: Journal, message_id: str, status: str) -> None:
    await journal.change(StatusChange(message_id, Event(status, datetime.now(UTC)), status))


async def blocker_of(journal: Journal, message_id: str, **kw: Any) -> str | None:
    found = await journal.first_unsettled_before(KEY, message_id, **kw)
    return found.id if found is not None else None


async def test_the_order_key_is_kept(journal: Journal) -> None:
    first = await accept(journal)
    plain = await accept(journal, key=None)
    record, other = await journal.get(first), await journal.get(plain)
    assert record is not None
    assert other is not None
    assert (record.order_key, other.order_key) == (KEY, None)


async def test_the_earliest_unsettled_earlier_message_holds_one_back(journal: Journal) -> None:
    first, second, third = [await accept(journal) for _ in range(3)]
    await accept(journal, key="dossier:another")  # other keys never hold this one back
    assert await blocker_of(journal, first) is None
    assert await blocker_of(journal, second) == first
    assert await blocker_of(journal, third) == first
    await settle(journal, first, "delivered")
    assert await blocker_of(journal, second) is None
    assert await blocker_of(journal, third) == second
    await settle(journal, second, "retrying")  # retrying is still unsettled
    assert await blocker_of(journal, third) == second
    await settle(journal, second, "dead")  # dead for good: holds nothing back
    assert await blocker_of(journal, third) is None
    await settle(journal, second, "replayed")  # an operator's replay: unsettled again
    assert await blocker_of(journal, third) == second


@pytest.mark.parametrize("status", ["delivered", "done", "dead", "rejected", "discarded"])
async def test_settled_statuses_hold_nothing_back(journal: Journal, status: str) -> None:
    earlier = await accept(journal)
    later = await accept(journal)
    await settle(journal, earlier, status)
    assert await blocker_of(journal, later) is None


@pytest.mark.parametrize("status", ["accepted", "queued", "retrying", "replayed"])
async def test_statuses_in_flight_hold_later_ones_back(journal: Journal, status: str) -> None:
    earlier = await accept(journal)
    later = await accept(journal)
    if status != "accepted":
        await settle(journal, earlier, status)
    assert await blocker_of(journal, later) == earlier


async def test_a_long_unconfirmed_row_is_taken_for_an_orphan(journal: Journal) -> None:
    hour_ago = datetime.now(UTC) - timedelta(hours=1)
    orphan = await accept(journal, created_at=hour_ago)  # the broker never confirmed it
    queued = await accept(journal, created_at=hour_ago)
    await settle(journal, queued, "queued")
    fresh = await accept(journal)  # accepted a moment ago: its confirm may still be coming
    latest = await accept(journal)
    cutoff = datetime.now(UTC) - timedelta(seconds=10)
    assert await blocker_of(journal, latest) == orphan  # without a cutoff, every row counts
    assert await blocker_of(journal, latest, orphaned_before=cutoff) == queued
    await settle(journal, queued, "delivered")
    assert await blocker_of(journal, latest, orphaned_before=cutoff) == fresh


async def test_failed_attempts_count_since_a_moment(journal: Journal) -> None:
    message_id = await accept(journal)
    start = datetime.now(UTC)

    def attempt(outcome: Any, minutes: int) -> Attempt:
        at = start + timedelta(minutes=minutes)
        return Attempt(message_id, PORTAL, "https://portal.invalid/", at, outcome, 5)

    for outcome, minutes in (("failed", 0), ("failed", 1), ("failed", 3), ("delivered", 4)):
        await journal.record_attempt(attempt(outcome, minutes))
    assert await journal.failed_attempts(message_id) == 3
    assert await journal.failed_attempts(message_id, since=start + timedelta(minutes=2)) == 1
    assert await journal.failed_attempts(new_message_id()) == 0
