"""The journal: every message, every state change, every delivery attempt.

SQLite by default, PostgreSQL in production, through one SQLAlchemy Core code path. The writes of
the hot paths (accepting, status changes, delivery attempts) go through one ``BatchWriter`` per
process (group commit, see ``lgsp.journal.writes``); rare writes go straight to the database.
Not for: deciding what a status means (the gateway and adapters do that).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
import structlog
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from lgsp.errors import JournalUnavailable, LGSPError
from lgsp.journal.batch import BatchWriter
from lgsp.journal.engine import connect, migrate
from lgsp.journal.records import Attempt, Event, MessageRecord, NewMessage
from lgsp.journal.side_tables import SideTables
from lgsp.journal.statuses import SETTLED, MessageStatus, RecipientState, event_status
from lgsp.journal.systems import SystemRegistry
from lgsp.journal.tables import attempts, events, messages
from lgsp.journal.writes import AttemptOp, JournalOp, StatusChange, apply_ops

__all__ = ["IdempotencyClash", "Journal", "StatusChange"]

log = structlog.get_logger(__name__)


class IdempotencyClash(LGSPError):
    """Another message of the same system holds this ``Idempotency-Key`` already."""


def _now() -> datetime:
    return datetime.now(UTC)


class Journal(SideTables):
    """Records messages and their histories. Build with ``await Journal.open(...)``."""

    def __init__(self, engine: AsyncEngine, *, batch_size: int = 200) -> None:
        self._engine = engine
        self.systems = SystemRegistry(engine)
        self._writer: BatchWriter[JournalOp] = BatchWriter(
            self._flush, max_batch=batch_size, name="journal"
        )
        self._background: set[asyncio.Task[None]] = set()

    @classmethod
    async def open(
        cls, db_url: str, *, batch_size: int = 200, call_timeout: float = 10.0
    ) -> Journal:
        """Connect, create or migrate the schema, and start the writers."""
        engine = connect(db_url, timeout=call_timeout)
        try:
            await migrate(engine)
        except BaseException:
            await engine.dispose()
            raise
        journal = cls(engine, batch_size=batch_size)
        journal._writer.start()
        return journal

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    async def close(self) -> None:
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
        await self._writer.close()
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
        await self._writer.write(message)

    def queued(self, message_id: str) -> None:
        """Note that the broker confirmed the message; written in the background, batched."""
        change = StatusChange(
            message_id,
            Event(MessageStatus.QUEUED, _now()),
            new_status=MessageStatus.QUEUED,
            only_from=(MessageStatus.ACCEPTED,),
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
                    .values(status=MessageStatus.REJECTED, idempotency_key=None, updated_at=_now())
                )
                await conn.execute(
                    events.insert().values(
                        message_id=message_id,
                        status=MessageStatus.REJECTED,
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
        await self._writer.write(change)

    async def record_attempt(self, attempt: Attempt, change: StatusChange | None = None) -> None:
        """Record a delivery attempt, with the status change it caused, in one transaction."""
        await self._writer.write(AttemptOp(attempt, change))

    async def delivered_recipients(self, message_id: str) -> set[str]:
        query = sa.select(events.c.recipient).where(
            events.c.message_id == message_id, events.c.status == RecipientState.DELIVERED
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

    async def first_unsettled_before(
        self, order_key: str, message_id: str, *, orphaned_before: datetime | None = None
    ) -> MessageRecord | None:
        """The earliest message with ``order_key``, accepted before ``message_id``, that is not
        settled yet (see ``SETTLED``); ``None`` when nothing earlier holds the message back.

        Message ids sort by acceptance time (UUIDv7). A row still ``accepted`` (never confirmed
        as queued) that was created before ``orphaned_before`` is taken for one whose gateway
        died before the broker had it: it will never be delivered, so it holds nothing back.
        """
        query = (
            sa.select(messages)
            .where(
                messages.c.order_key == order_key,
                messages.c.id < message_id,
                messages.c.status.not_in(sorted(SETTLED)),
            )
            .order_by(messages.c.id)
            .limit(1)
        )
        if orphaned_before is not None:
            query = query.where(
                sa.or_(
                    messages.c.status != MessageStatus.ACCEPTED,
                    messages.c.created_at >= orphaned_before,
                )
            )
        rows = await self._read(query)
        return _message(rows[0]) if rows else None

    async def failed_attempts(self, message_id: str, *, since: datetime | None = None) -> int:
        """How many delivery attempts of the message failed (those at or after ``since``)."""
        query = (
            sa.select(sa.func.count())
            .select_from(attempts)
            .where(attempts.c.message_id == message_id, attempts.c.outcome == "failed")
        )
        if since is not None:
            query = query.where(attempts.c.at >= since)
        rows = await self._read(query)
        return int(rows[0][0])

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

    async def find(
        self,
        *,
        status: MessageStatus | None = None,
        type: str | None = None,
        sender: str | None = None,
        after: str | None = None,
        limit: int = 100,
    ) -> list[MessageRecord]:
        """Messages by status, type and sender, oldest first, ``limit`` after the id ``after``."""
        query = sa.select(messages).order_by(messages.c.id).limit(limit)
        if status is not None:
            query = query.where(messages.c.status == status)
        if type is not None:
            query = query.where(messages.c.type == type)
        if sender is not None:
            query = query.where(messages.c.sender == sender)
        if after is not None:
            query = query.where(messages.c.id > after)
        return [_message(row) for row in await self._read(query)]

    async def transition(
        self, message_id: str, *, from_status: MessageStatus, event: Event
    ) -> bool:
        """Move the message from ``from_status`` to ``event.status`` with ``event``, atomically;
        ``False`` when it was not in ``from_status`` (another operator was quicker). Raises
        ``ValueError`` when ``event.status`` is not a ``MessageStatus``."""
        to = MessageStatus(event.status)
        try:
            async with self._engine.begin() as conn:
                moved = await conn.execute(
                    messages.update()
                    .where(messages.c.id == message_id, messages.c.status == from_status)
                    .values(status=to, updated_at=event.at)
                )
                if moved.rowcount != 1:
                    return False
                await conn.execute(
                    events.insert().values(
                        message_id=message_id,
                        status=event.status,
                        at=event.at,
                        recipient=event.recipient,
                        detail=event.detail,
                    )
                )
                return True
        except (SQLAlchemyError, OSError) as exc:
            raise _unavailable(exc) from exc

    async def by_document_id(self, document_id: str) -> list[MessageRecord]:
        """Accepted messages carrying this edXML DocumentId, oldest first."""
        query = (
            sa.select(messages)
            .where(
                messages.c.document_id == document_id, messages.c.status != MessageStatus.REJECTED
            )
            .order_by(messages.c.id)
        )
        return [_message(row) for row in await self._read(query)]

    async def payload(self, message_id: str) -> bytes | None:
        rows = await self._read(sa.select(messages.c.payload).where(messages.c.id == message_id))
        return bytes(rows[0][0]) if rows else None

    async def count_by_status(self, status: MessageStatus) -> int:
        rows = await self._read(
            sa.select(sa.func.count()).select_from(messages).where(messages.c.status == status)
        )
        return int(rows[0][0])

    # -- internals --------------------------------------------------------------------------

    def _message(self, row: sa.Row[Any]) -> MessageRecord:
        return _message(row)

    async def _read(self, query: sa.Select[Any]) -> list[sa.Row[Any]]:
        try:
            async with self._engine.connect() as conn:
                return list((await conn.execute(query)).all())
        except (SQLAlchemyError, OSError) as exc:
            raise JournalUnavailable(f"cannot read the journal: {exc}") from exc

    async def _write_quietly(self, change: StatusChange) -> None:
        try:
            await self._writer.write(change)
        except Exception as exc:  # the message is safe in the broker; only history is short
            log.warning("journal_event_lost", message_id=change.message_id, error=str(exc))

    async def _flush(self, batch: Sequence[JournalOp]) -> list[BaseException | None]:
        try:
            async with self._engine.begin() as conn:
                await apply_ops(conn, batch)
            return [None] * len(batch)
        except IntegrityError:
            pass  # an idempotency clash somewhere in the batch: find it op by op
        except (SQLAlchemyError, OSError) as exc:
            return [_unavailable(exc)] * len(batch)
        results: list[BaseException | None] = []
        for op in batch:
            try:
                async with self._engine.begin() as conn:
                    await apply_ops(conn, [op])
                results.append(None)
            except IntegrityError:
                key = op.idempotency_key if isinstance(op, NewMessage) else None
                results.append(IdempotencyClash(key or "duplicate row"))
            except (SQLAlchemyError, OSError) as exc:
                results.append(_unavailable(exc))
        return results


def _unavailable(exc: BaseException) -> JournalUnavailable:
    error = JournalUnavailable(f"cannot write to the journal: {exc}")
    error.__cause__ = exc
    return error


def _message(row: sa.Row[Any]) -> MessageRecord:
    m = row._mapping
    return MessageRecord(
        id=m["id"],
        type=m["type"],
        sender=m["sender"],
        sender_system=m["sender_system"],
        recipients=tuple(m["recipients"]),
        status=MessageStatus(m["status"]),
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        correlation_id=m["correlation_id"],
        request_hash=m["request_hash"],
        content_type=m["content_type"] or "application/json",
        payload_ref=m["payload_ref"],
        document_id=m["document_id"],
        signature=m["signature"],
        priority=m["priority"],
        deadline=m["deadline"],
        order_key=m["order_key"],
    )


def _event(row: sa.Row[Any]) -> Event:
    m = row._mapping
    recipient = m["recipient"]
    return Event(
        status=event_status(m["status"], recipient=recipient),
        at=m["at"],
        recipient=recipient,
        detail=m["detail"],
    )
