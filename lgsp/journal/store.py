"""The journal: every message, every state change, every delivery attempt.

SQLite by default, PostgreSQL in production, through one SQLAlchemy Core code path. Writes on the
gateway's accept path go through a ``BatchWriter`` (group commit); everything else writes directly.
Not for: deciding what a status means (the gateway and adapters do that).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
import structlog
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from lgsp.errors import JournalUnavailable, LGSPError
from lgsp.journal.batch import BatchWriter
from lgsp.journal.engine import connect, migrate
from lgsp.journal.records import Attempt, Event, MessageRecord, NewMessage
from lgsp.journal.systems import SystemRegistry
from lgsp.journal.tables import attempts, events, messages

__all__ = ["IdempotencyClash", "Journal", "StatusChange"]

log = structlog.get_logger(__name__)


class IdempotencyClash(LGSPError):
    """Another message of the same system holds this ``Idempotency-Key`` already."""


@dataclass(frozen=True, slots=True)
class StatusChange:
    """An event, and optionally the message's new overall status (only from ``only_from``)."""

    message_id: str
    event: Event
    new_status: str | None = None
    only_from: tuple[str, ...] | None = None


def _now() -> datetime:
    return datetime.now(UTC)


class Journal:
    """Records messages and their histories. Build with ``await Journal.open(...)``."""

    def __init__(self, engine: AsyncEngine, *, batch_size: int = 200) -> None:
        self._engine = engine
        self.systems = SystemRegistry(engine)
        self._accepts: BatchWriter[NewMessage] = BatchWriter(
            self._flush_accepts, max_batch=batch_size, name="accepts"
        )
        self._changes: BatchWriter[StatusChange] = BatchWriter(
            self._flush_changes, max_batch=batch_size, name="changes"
        )
        self._background: set[asyncio.Task[None]] = set()

    @classmethod
    async def open(cls, db_url: str, *, batch_size: int = 200) -> Journal:
        """Connect, create or migrate the schema, and start the writers."""
        engine = connect(db_url)
        try:
            await migrate(engine)
        except BaseException:
            await engine.dispose()
            raise
        journal = cls(engine, batch_size=batch_size)
        journal._accepts.start()
        journal._changes.start()
        return journal

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    async def close(self) -> None:
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
        await self._accepts.close()
        await self._changes.close()
        await self._engine.dispose()

    async def ping(self) -> None:
        """Raise ``JournalUnavailable`` unless the database answers."""
        try:
            async with self._engine.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))
        except (SQLAlchemyError, OSError) as exc:
            raise JournalUnavailable(f"journal unreachable: {exc}") from exc

    # -- the gateway's accept path ----------------------------------------------------------

    async def accept(self, message: NewMessage) -> None:
        """Record ``message`` as accepted (and its first event); raises ``IdempotencyClash``."""
        await self._accepts.write(message)

    def queued(self, message_id: str) -> None:
        """Note that the broker confirmed the message; written in the background, batched."""
        change = StatusChange(
            message_id, Event("queued", _now()), new_status="queued", only_from=("accepted",)
        )
        task = asyncio.create_task(self._write_quietly(change))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def reject(self, message_id: str, reason: str) -> None:
        """The broker did not take the message: it was never accepted, and its key is freed."""
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    messages.update()
                    .where(messages.c.id == message_id)
                    .values(status="rejected", idempotency_key=None, updated_at=_now())
                )
                await conn.execute(
                    events.insert().values(
                        message_id=message_id,
                        status="rejected",
                        at=_now(),
                        detail={"reason": reason},
                    )
                )
        except (SQLAlchemyError, OSError) as exc:
            raise JournalUnavailable(f"cannot record the rejection: {exc}") from exc

    async def find_idempotent(self, system_id: str, key: str) -> MessageRecord | None:
        query = sa.select(messages).where(
            messages.c.sender_system == system_id, messages.c.idempotency_key == key
        )
        rows = await self._read(query)
        return _message(rows[0]) if rows else None

    # -- adapters ---------------------------------------------------------------------------

    async def change(self, change: StatusChange) -> None:
        """Record an event and, when given, the message's new overall status."""
        await self._changes.write(change)

    async def record_attempt(self, attempt: Attempt, change: StatusChange | None = None) -> None:
        """Record a delivery attempt, with the status change it caused, in one transaction."""
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    attempts.insert().values(
                        message_id=attempt.message_id,
                        recipient=attempt.recipient,
                        target=attempt.target,
                        at=attempt.at,
                        outcome=attempt.outcome,
                        status_code=attempt.status_code,
                        error=attempt.error,
                        duration_ms=attempt.duration_ms,
                    )
                )
                if change is not None:
                    await _apply_changes(conn, [change])
        except (SQLAlchemyError, OSError) as exc:
            raise JournalUnavailable(f"cannot record the attempt: {exc}") from exc

    async def delivered_recipients(self, message_id: str) -> set[str]:
        query = sa.select(events.c.recipient).where(
            events.c.message_id == message_id, events.c.status == "delivered"
        )
        return {row[0] for row in await self._read(query) if row[0]}

    async def attempts(self, message_id: str) -> list[Attempt]:
        query = (
            sa.select(attempts).where(attempts.c.message_id == message_id).order_by(attempts.c.id)
        )
        return [
            Attempt(**{k: v for k, v in row._mapping.items() if k != "id"})
            for row in await self._read(query)
        ]

    # -- reading ----------------------------------------------------------------------------

    async def get(self, message_id: str) -> MessageRecord | None:
        """The message with its events in order, or ``None``."""
        try:
            async with self._engine.connect() as conn:
                row = (
                    await conn.execute(sa.select(messages).where(messages.c.id == message_id))
                ).first()
                if row is None:
                    return None
                history = (
                    await conn.execute(
                        sa.select(events)
                        .where(events.c.message_id == message_id)
                        .order_by(events.c.id)
                    )
                ).all()
        except (SQLAlchemyError, OSError) as exc:
            raise JournalUnavailable(f"cannot read the journal: {exc}") from exc
        return replace(_message(row), events=tuple(_event(e) for e in history))

    async def payload(self, message_id: str) -> bytes | None:
        rows = await self._read(sa.select(messages.c.payload).where(messages.c.id == message_id))
        return bytes(rows[0][0]) if rows else None

    async def count_by_status(self, status: str) -> int:
        rows = await self._read(
            sa.select(sa.func.count()).select_from(messages).where(messages.c.status == status)
        )
        return int(rows[0][0])

    # -- internals --------------------------------------------------------------------------

    async def _read(self, query: sa.Select[Any]) -> list[sa.Row[Any]]:
        try:
            async with self._engine.connect() as conn:
                return list((await conn.execute(query)).all())
        except (SQLAlchemyError, OSError) as exc:
            raise JournalUnavailable(f"cannot read the journal: {exc}") from exc

    async def _write_quietly(self, change: StatusChange) -> None:
        try:
            await self._changes.write(change)
        except Exception as exc:  # the message is safe in the broker; only history is short
            log.warning("journal_event_lost", message_id=change.message_id, error=str(exc))

    async def _flush_accepts(self, batch: Sequence[NewMessage]) -> list[BaseException | None]:
        try:
            async with self._engine.begin() as conn:
                await _insert_accepted(conn, batch)
            return [None] * len(batch)
        except IntegrityError:
            pass  # an idempotency clash somewhere in the batch: find it row by row
        except (SQLAlchemyError, OSError) as exc:
            error = JournalUnavailable(f"cannot record the message: {exc}")
            error.__cause__ = exc
            return [error] * len(batch)
        results: list[BaseException | None] = []
        for message in batch:
            try:
                async with self._engine.begin() as conn:
                    await _insert_accepted(conn, [message])
                results.append(None)
            except IntegrityError:
                results.append(IdempotencyClash(message.idempotency_key or message.id))
            except (SQLAlchemyError, OSError) as exc:
                results.append(JournalUnavailable(f"cannot record the message: {exc}"))
        return results

    async def _flush_changes(self, batch: Sequence[StatusChange]) -> list[BaseException | None]:
        try:
            async with self._engine.begin() as conn:
                await _apply_changes(conn, batch)
        except (SQLAlchemyError, OSError) as exc:
            error = JournalUnavailable(f"cannot record the change: {exc}")
            return [error] * len(batch)
        return [None] * len(batch)


async def _insert_accepted(conn: AsyncConnection, batch: Sequence[NewMessage]) -> None:
    await conn.execute(
        messages.insert(),
        [
            {
                "id": m.id,
                "type": m.type,
                "sender": m.sender,
                "sender_system": m.sender_system,
                "recipients": list(m.recipients),
                "correlation_id": m.correlation_id,
                "priority": m.priority,
                "deadline": m.deadline,
                "status": "accepted",
                "created_at": m.created_at,
                "updated_at": m.created_at,
                "idempotency_key": m.idempotency_key,
                "request_hash": m.request_hash,
                "payload": m.payload,
            }
            for m in batch
        ],
    )
    await conn.execute(
        events.insert(),
        [
            {
                "message_id": m.id,
                "status": "accepted",
                "at": m.created_at,
                "recipient": None,
                "detail": None,
            }
            for m in batch
        ],
    )


async def _apply_changes(conn: AsyncConnection, batch: Sequence[StatusChange]) -> None:
    await conn.execute(
        events.insert(),
        [
            {
                "message_id": c.message_id,
                "status": c.event.status,
                "at": c.event.at,
                "recipient": c.event.recipient,
                "detail": c.event.detail,
            }
            for c in batch
        ],
    )
    for c in batch:
        if c.new_status is None:
            continue
        update = messages.update().where(messages.c.id == c.message_id)
        if c.only_from is not None:
            update = update.where(messages.c.status.in_(c.only_from))
        await conn.execute(update.values(status=c.new_status, updated_at=c.event.at))


def _message(row: sa.Row[Any]) -> MessageRecord:
    m = row._mapping
    return MessageRecord(
        id=m["id"],
        type=m["type"],
        sender=m["sender"],
        sender_system=m["sender_system"],
        recipients=tuple(m["recipients"]),
        status=m["status"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        correlation_id=m["correlation_id"],
        request_hash=m["request_hash"],
    )


def _event(row: sa.Row[Any]) -> Event:
    m = row._mapping
    return Event(status=m["status"], at=m["at"], recipient=m["recipient"], detail=m["detail"])
