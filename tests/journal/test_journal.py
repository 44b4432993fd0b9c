"""The journal on both engines: systems, the accept path, status changes, attempts, time zones.

Every test runs on SQLite and on PostgreSQL (the run's own database) through the ``journal``
fixture; the PostgreSQL variants are integration tests.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import create_async_engine

from lgsp.errors import ConfigurationError, JournalUnavailable
from lgsp.ids import new_message_id
from lgsp.journal import (
    Attempt,
    Event,
    IdempotencyClash,
    Journal,
    NewMessage,
    StatusChange,
    System,
    hash_api_key,
)
from lgsp.journal.engine import async_url
from lgsp.journal.tables import SCHEMA_VERSION, schema_info

SENDER = "000.00.00.H41"
RECIPIENT = "000.00.12.H41"
OTHER_RECIPIENT = "000.00.13.H41"
TIMEOUT = 10.0
ICT = timezone(timedelta(hours=7))
"""Indochina time: what a clock in the province reads."""


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """conftest's ``db_url``, with the PostgreSQL variant marked as an integration test."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'lgsp.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


def new_message(**overrides: Any) -> NewMessage:
    values: dict[str, Any] = {
        "id": new_message_id(),
        "type": "document.send",
        "sender": SENDER,
        "sender_system": "qlvb-a",
        "recipients": (RECIPIENT,),
        "created_at": datetime.now(UTC),
        "payload": '{"subject": "Công văn số 12"}'.encode(),
    }
    values.update(overrides)
    return NewMessage(**values)


def new_system(system_id: str, agency: str, **overrides: Any) -> System:
    values: dict[str, Any] = {
        "id": system_id,
        "agency": agency,
        "api_key_hash": hash_api_key(f"lgsp_key_{secrets.token_hex(8)}"),
        "webhook_secret": secrets.token_hex(16),
        "created_at": datetime.now(UTC),
    }
    values.update(overrides)
    return System(**values)


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = TIMEOUT) -> None:
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.02)


def assert_utc(moment: datetime) -> None:
    assert moment.tzinfo is not None, moment
    assert moment.utcoffset() == timedelta(0), moment


# --------------------------------------------------------------------------------------------
# Opening
# --------------------------------------------------------------------------------------------


async def test_opening_twice_is_harmless(journal: Journal, db_url: str) -> None:
    message = new_message()
    await journal.accept(message)

    second = await Journal.open(db_url)
    try:
        record = await second.get(message.id)
        async with second.engine.connect() as conn:
            versions = (await conn.execute(sa.select(schema_info.c.version))).scalars().all()
    finally:
        await second.close()

    assert record is not None
    assert record.status == "accepted"
    assert len(versions) == 1


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
async def fresh_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database no journal has opened yet."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    pg_url: str = request.getfixturevalue("pg_url")
    name = f"lgsp_fresh_{secrets.token_hex(4)}"
    admin = create_async_engine(async_url(pg_url), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield f"{pg_url.rsplit('/', 1)[0]}/{name}"
    finally:
        async with admin.connect() as conn:
            await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def test_several_processes_may_open_a_new_journal_together(fresh_db_url: str) -> None:
    # Several gateways and adapters starting at once against an empty database.
    results = await asyncio.gather(
        *(Journal.open(fresh_db_url) for _ in range(4)), return_exceptions=True
    )
    for result in results:
        if isinstance(result, Journal):
            await result.close()

    assert [type(r).__name__ for r in results] == ["Journal"] * 4


async def test_open_on_an_unreachable_postgresql_raises_promptly() -> None:
    started = time.monotonic()

    async with asyncio.timeout(10):
        with pytest.raises(JournalUnavailable) as caught:
            await Journal.open("postgresql://postgres:pg-Secret@127.0.0.1:1/lgsp")

    assert time.monotonic() - started < 5
    assert "pg-Secret" not in str(caught.value)


@pytest.mark.parametrize("url", ["mysql://root@db/lgsp", "not a url"])
async def test_open_on_a_url_it_cannot_use_is_a_configuration_error(url: str) -> None:
    with pytest.raises(ConfigurationError):
        await Journal.open(url)


# --------------------------------------------------------------------------------------------
# Registered systems
# --------------------------------------------------------------------------------------------


async def test_systems_registry(journal: Journal) -> None:
    registry = journal.systems
    a = new_system(
        "qlvb-a",
        SENDER,
        webhook_url="https://qlvb-a.tinh.gov.vn/hooks/lgsp",
        format="edxml",
        may_send=frozenset({"document.send", "document.status"}),
    )
    b = new_system("qlvb-b", RECIPIENT)
    a2 = new_system("dvc-a", SENDER, may_send=frozenset({"civil_status.birth"}))
    for system in (a, b, a2):
        await registry.add(system)

    assert await registry.by_key_hash(a.api_key_hash) == a
    assert await registry.by_key_hash(hash_api_key("lgsp_key_nobody")) is None
    assert await registry.by_id("qlvb-b") == b
    assert await registry.by_id("nobody") is None
    assert [s.id for s in await registry.by_agency(SENDER)] == ["dvc-a", "qlvb-a"]
    assert await registry.by_agency("000.00.99.H41") == []
    assert [s.id for s in await registry.all()] == ["dvc-a", "qlvb-a", "qlvb-b"]
    found = await registry.by_id("qlvb-a")
    assert found is not None
    assert found.may_send == frozenset({"document.send", "document.status"})
    assert (found.format, found.webhook_url) == ("edxml", a.webhook_url)
    assert_utc(found.created_at)


async def test_a_system_id_is_registered_once(journal: Journal) -> None:
    await journal.systems.add(new_system("qlvb-a", SENDER))

    with pytest.raises(ConfigurationError, match="qlvb-a"):
        await journal.systems.add(new_system("qlvb-a", RECIPIENT))

    [kept] = await journal.systems.all()
    assert kept.agency == SENDER


# --------------------------------------------------------------------------------------------
# The accept path
# --------------------------------------------------------------------------------------------


async def test_accept_then_get(journal: Journal) -> None:
    message = new_message(
        recipients=(RECIPIENT, OTHER_RECIPIENT),
        correlation_id="corr-7",
        request_hash="ab" * 32,
        payload=b'{"subject": "T\xe1\xba\xa1m \xe1\xbb\xa9ng"}\x00\xff',
    )

    await journal.accept(message)

    record = await journal.get(message.id)
    assert record is not None
    assert record.status == "accepted"
    assert (record.type, record.sender, record.sender_system) == (
        "document.send",
        SENDER,
        "qlvb-a",
    )
    assert record.recipients == (RECIPIENT, OTHER_RECIPIENT)
    assert (record.correlation_id, record.request_hash) == ("corr-7", "ab" * 32)
    assert record.created_at == message.created_at
    assert [e.status for e in record.events] == ["accepted"]
    assert record.events[0].at == message.created_at
    assert await journal.payload(message.id) == message.payload


async def test_unknown_message(journal: Journal) -> None:
    assert await journal.get("no-such-id") is None
    assert await journal.payload("no-such-id") is None
    assert await journal.delivered_recipients("no-such-id") == set()
    assert await journal.attempts("no-such-id") == []


async def test_many_concurrent_accepts_commit_in_few_transactions(journal: Journal) -> None:
    commits = 0

    def count_commit(_conn: Any) -> None:
        nonlocal commits
        commits += 1

    event.listen(journal.engine.sync_engine, "commit", count_commit)
    try:
        batch = [new_message() for _ in range(300)]
        async with asyncio.timeout(TIMEOUT * 3):
            results = await asyncio.gather(*(journal.accept(m) for m in batch))
    finally:
        event.remove(journal.engine.sync_engine, "commit", count_commit)

    assert results == [None] * 300
    assert await journal.count_by_status("accepted") == 300
    assert commits <= 10  # group commit: batches of up to 200, not one transaction per message
    spot = await journal.get(batch[-1].id)
    assert spot is not None
    assert spot.status == "accepted"


async def test_idempotency_clash_fails_only_the_duplicate(journal: Journal) -> None:
    first = new_message(idempotency_key="key-1")
    duplicate = new_message(idempotency_key="key-1")
    neighbours = [new_message(), new_message(idempotency_key="key-2"), new_message()]

    # Gathered together, they share one batch: the clash must not fail the neighbours.
    results = await asyncio.gather(
        journal.accept(first),
        journal.accept(duplicate),
        *(journal.accept(m) for m in neighbours),
        return_exceptions=True,
    )

    assert results[0] is None
    assert isinstance(results[1], IdempotencyClash)
    assert results[2:] == [None, None, None]
    assert await journal.count_by_status("accepted") == 4
    assert await journal.get(duplicate.id) is None
    found = await journal.find_idempotent("qlvb-a", "key-1")
    assert found is not None
    assert found.id == first.id

    with pytest.raises(IdempotencyClash):  # and later, alone in its batch
        await journal.accept(new_message(idempotency_key="key-1"))


async def test_a_clash_does_not_fail_changes_and_attempts_in_its_batch(journal: Journal) -> None:
    held = new_message(idempotency_key="held")
    other = new_message()
    await journal.accept(held)
    await journal.accept(other)
    now = datetime.now(UTC)

    results = await asyncio.gather(
        journal.change(StatusChange(other.id, Event("queued", now), "queued", ("accepted",))),
        journal.accept(new_message(idempotency_key="held")),
        journal.record_attempt(
            Attempt(held.id, RECIPIENT, "https://x.invalid/", now, "delivered", 7),
            StatusChange(held.id, Event("delivered", now, recipient=RECIPIENT), "delivered"),
        ),
        return_exceptions=True,
    )

    assert results[0] is None
    assert isinstance(results[1], IdempotencyClash)
    assert results[2] is None
    assert await _status(journal, other.id) == "queued"
    assert await _status(journal, held.id) == "delivered"
    assert len(await journal.attempts(held.id)) == 1
    assert await journal.delivered_recipients(held.id) == {RECIPIENT}


async def test_another_system_may_use_the_same_key(journal: Journal) -> None:
    mine = new_message(idempotency_key="shared")
    theirs = new_message(idempotency_key="shared", sender_system="qlvb-b", sender=RECIPIENT)

    await journal.accept(mine)
    await journal.accept(theirs)

    found_mine = await journal.find_idempotent("qlvb-a", "shared")
    found_theirs = await journal.find_idempotent("qlvb-b", "shared")
    assert found_mine is not None
    assert found_theirs is not None
    assert (found_mine.id, found_theirs.id) == (mine.id, theirs.id)
    assert await journal.find_idempotent("qlvb-c", "shared") is None


async def test_reject_frees_the_key(journal: Journal) -> None:
    refused = new_message(idempotency_key="retry-me")
    await journal.accept(refused)

    await journal.reject(refused.id, "broker did not confirm")

    record = await journal.get(refused.id)
    assert record is not None
    assert record.status == "rejected"
    assert [e.status for e in record.events] == ["accepted", "rejected"]
    assert record.events[1].detail == {"reason": "broker did not confirm"}
    assert await journal.find_idempotent("qlvb-a", "retry-me") is None

    retried = new_message(idempotency_key="retry-me")
    await journal.accept(retried)
    found = await journal.find_idempotent("qlvb-a", "retry-me")
    assert found is not None
    assert found.id == retried.id


# --------------------------------------------------------------------------------------------
# Status changes
# --------------------------------------------------------------------------------------------


async def _status(journal: Journal, message_id: str) -> str | None:
    record = await journal.get(message_id)
    return record.status if record else None


async def _event_statuses(journal: Journal, message_id: str) -> list[str]:
    record = await journal.get(message_id)
    return [e.status for e in record.events] if record else []


async def test_queued_moves_accepted_to_queued(journal: Journal) -> None:
    message = new_message()
    await journal.accept(message)

    journal.queued(message.id)  # in the background

    async def is_queued() -> bool:
        return await _status(journal, message.id) == "queued"

    await eventually(is_queued)
    assert await _event_statuses(journal, message.id) == ["accepted", "queued"]


async def test_a_late_queued_never_overrides_a_later_status(journal: Journal) -> None:
    message = new_message()
    await journal.accept(message)
    await journal.change(
        StatusChange(
            message.id,
            Event("delivered", datetime.now(UTC), recipient=RECIPIENT),
            new_status="delivered",
        )
    )

    journal.queued(message.id)  # the confirm's note arrives after the adapter's

    async def queued_recorded() -> bool:
        return "queued" in await _event_statuses(journal, message.id)

    await eventually(queued_recorded)
    assert await _status(journal, message.id) == "delivered"


async def test_change_only_from_leaves_other_statuses_alone(journal: Journal) -> None:
    message = new_message()
    await journal.accept(message)

    await journal.change(
        StatusChange(
            message.id,
            Event("replayed", datetime.now(UTC), detail={"by": "operator"}),
            new_status="replayed",
            only_from=("dead",),
        )
    )
    assert await _status(journal, message.id) == "accepted"

    await journal.change(
        StatusChange(message.id, Event("dead", datetime.now(UTC)), new_status="dead")
    )
    await journal.change(
        StatusChange(
            message.id,
            Event("replayed", datetime.now(UTC)),
            new_status="replayed",
            only_from=("dead",),
        )
    )

    record = await journal.get(message.id)
    assert record is not None
    assert record.status == "replayed"
    assert [e.status for e in record.events] == ["accepted", "replayed", "dead", "replayed"]
    assert record.events[1].detail == {"by": "operator"}


async def test_record_attempt_with_a_status_change_writes_both(journal: Journal) -> None:
    message = new_message(recipients=(RECIPIENT, OTHER_RECIPIENT))
    await journal.accept(message)
    at = datetime.now(UTC)
    failed = Attempt(
        message_id=message.id,
        recipient=RECIPIENT,
        target="https://qlvb-b.tinh.gov.vn/hooks/lgsp",
        at=at,
        outcome="failed",
        duration_ms=1500,
        status_code=503,
        error="Service Unavailable",
    )
    delivered = replace(
        failed, at=at + timedelta(seconds=2), outcome="delivered", status_code=204, error=None
    )

    await journal.record_attempt(failed)
    await journal.record_attempt(
        delivered,
        StatusChange(
            message.id,
            Event("delivered", delivered.at, recipient=RECIPIENT, detail={"status_code": 204}),
            new_status="delivered",
        ),
    )

    assert await journal.attempts(message.id) == [failed, delivered]
    record = await journal.get(message.id)
    assert record is not None
    assert record.status == "delivered"
    assert record.updated_at >= record.created_at
    assert record.events[-1] == Event(
        "delivered", delivered.at, recipient=RECIPIENT, detail={"status_code": 204}
    )


async def test_delivered_recipients(journal: Journal) -> None:
    message = new_message(recipients=(RECIPIENT, OTHER_RECIPIENT, "000.00.14.H41"))
    await journal.accept(message)
    now = datetime.now(UTC)
    for change in (
        StatusChange(message.id, Event("delivered", now, recipient=RECIPIENT)),
        StatusChange(message.id, Event("retrying", now, recipient="000.00.14.H41")),
        StatusChange(message.id, Event("delivered", now, recipient=OTHER_RECIPIENT)),
        StatusChange(message.id, Event("delivered", now, recipient=RECIPIENT)),  # a duplicate
        StatusChange(message.id, Event("delivered", now)),  # for the whole message
    ):
        await journal.change(change)

    assert await journal.delivered_recipients(message.id) == {RECIPIENT, OTHER_RECIPIENT}


async def test_concurrent_writers_of_every_kind(journal: Journal) -> None:
    batch = [new_message() for _ in range(40)]
    await asyncio.gather(*(journal.accept(m) for m in batch))
    now = datetime.now(UTC)

    async with asyncio.timeout(TIMEOUT * 3):
        await asyncio.gather(
            *(
                journal.record_attempt(
                    Attempt(m.id, RECIPIENT, "https://x.invalid/", now, "delivered", 5),
                    StatusChange(m.id, Event("delivered", now, recipient=RECIPIENT), "delivered"),
                )
                for m in batch[:20]
            ),
            *(journal.change(StatusChange(m.id, Event("retrying", now))) for m in batch[20:]),
            *(journal.reject(m.id, "no confirm") for m in batch[30:]),
            journal.accept(new_message()),
        )
    for m in batch:
        journal.queued(m.id)

    async def all_queued_events() -> bool:
        statuses = [await _event_statuses(journal, m.id) for m in batch]
        return all("queued" in s for s in statuses)

    await eventually(all_queued_events)
    assert await journal.count_by_status("delivered") == 20
    assert await journal.count_by_status("queued") == 10
    assert await journal.count_by_status("rejected") == 10
    assert await journal.count_by_status("accepted") == 1


# --------------------------------------------------------------------------------------------
# Time
# --------------------------------------------------------------------------------------------


async def test_timestamps_come_back_aware_utc(journal: Journal) -> None:
    local = datetime(2024, 12, 31, 23, 30, 15, 123456, tzinfo=ICT)
    await journal.systems.add(new_system("qlvb-a", SENDER, created_at=local))
    message = new_message(created_at=local)
    await journal.accept(message)
    await journal.record_attempt(
        Attempt(message.id, RECIPIENT, "https://x.invalid/", local, "delivered", 12),
        StatusChange(message.id, Event("delivered", local, recipient=RECIPIENT), "delivered"),
    )

    system = await journal.systems.by_id("qlvb-a")
    record = await journal.get(message.id)
    [attempt] = await journal.attempts(message.id)
    assert system is not None
    assert record is not None
    given = [system.created_at, record.created_at, attempt.at, *(e.at for e in record.events)]
    for moment in given:
        assert_utc(moment)
        assert moment == local  # the same instant: 16:30:15.123456 UTC
    assert record.created_at.hour == 16
    assert_utc(record.updated_at)  # set by the journal itself


_V1_DDL = (
    "CREATE TABLE lgsp_schema (version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL)",
    "INSERT INTO lgsp_schema (version, applied_at) VALUES (1, CURRENT_TIMESTAMP)",
    "CREATE TABLE messages (id VARCHAR(36) PRIMARY KEY, type VARCHAR(64) NOT NULL,"
    " sender VARCHAR(35) NOT NULL, sender_system VARCHAR(64) NOT NULL, recipients JSON NOT NULL,"
    " correlation_id VARCHAR(128), priority SMALLINT NOT NULL, deadline TIMESTAMP,"
    " status VARCHAR(32) NOT NULL, created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL,"
    " idempotency_key VARCHAR(255), request_hash VARCHAR(64), payload BYTEA NOT NULL,"
    " CONSTRAINT uq_messages_idempotency UNIQUE (sender_system, idempotency_key))",
)


async def test_a_version_1_journal_is_migrated_at_start(fresh_db_url: str) -> None:
    engine = create_async_engine(async_url(fresh_db_url))
    async with engine.begin() as conn:
        for statement in _V1_DDL:
            if conn.dialect.name == "sqlite":
                statement = statement.replace("BYTEA", "BLOB")
            await conn.execute(sa.text(statement))
        await conn.execute(
            sa.text(
                "INSERT INTO messages (id, type, sender, sender_system, recipients, priority,"
                " status, created_at, updated_at, payload) VALUES ('old', 'document.send',"
                " '000.00.00.H41', 'a', '[]', 0, 'delivered', CURRENT_TIMESTAMP,"
                " CURRENT_TIMESTAMP, :p)"
            ),
            {"p": b"{}"},
        )
    await engine.dispose()

    journal = await Journal.open(fresh_db_url)
    try:
        old = await journal.get("old")
        assert old is not None
        assert old.status == "delivered"
        assert old.document_id is None
        await journal.accept(new_message(id="new", document_id="000.00.00.H41,2026/01/02,1/UB"))
        assert [m.id for m in await journal.by_document_id("000.00.00.H41,2026/01/02,1/UB")] == [
            "new"
        ]
        assert old.order_key is None
        await journal.accept(new_message(id="later", order_key="dossier:X"))
        earlier = await journal.first_unsettled_before("dossier:X", "zzz")
        assert earlier is not None
        assert earlier.id == "later"
        async with journal.engine.connect() as conn:
            versions = (await conn.execute(sa.text("SELECT version FROM lgsp_schema"))).all()
            indexes = await conn.run_sync(
                lambda sync: {i["name"] for i in sa.inspect(sync).get_indexes("messages")}
            )
        assert sorted(v[0] for v in versions) == list(range(1, SCHEMA_VERSION + 1))
        assert {"ix_messages_document_id", "ix_messages_order_key"} <= indexes
    finally:
        await journal.close()
