"""How batched journal writes reach the database: one transaction per batch, few statements.

Every write the hot paths make (a message accepted, an event, a delivery attempt) is an op; a
batch of ops becomes one insert per table and one update per kind of status change. One writer
per process keeps SQLite free of lock contention between writers; on PostgreSQL it keeps commits
few.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from lgsp.journal.records import Attempt, Event, NewMessage
from lgsp.journal.statuses import MessageStatus
from lgsp.journal.tables import attempts, events, messages

__all__ = ["AttemptOp", "JournalOp", "StatusChange", "apply_ops"]


@dataclass(frozen=True, slots=True)
class StatusChange:
    """An event, and optionally the message's new overall status (only from ``only_from``)."""

    message_id: str
    event: Event
    new_status: MessageStatus | None = None
    only_from: Collection[MessageStatus] | None = None


@dataclass(frozen=True, slots=True)
class AttemptOp:
    """A delivery attempt and the status change it caused, if any."""

    attempt: Attempt
    change: StatusChange | None = None


JournalOp = NewMessage | StatusChange | AttemptOp


def _event_row(message_id: str, event: Event) -> dict[str, Any]:
    return {
        "message_id": message_id,
        "status": event.status,
        "at": event.at,
        "recipient": event.recipient,
        "detail": event.detail,
    }


async def apply_ops(conn: AsyncConnection, ops: Sequence[JournalOp]) -> None:
    """Write ``ops`` in order of effect: rows first, then status updates in arrival order."""
    new_messages: list[dict[str, Any]] = []
    event_rows: list[dict[str, Any]] = []
    attempt_rows: list[dict[str, Any]] = []
    changes: list[StatusChange] = []
    for op in ops:
        if isinstance(op, NewMessage):
            new_messages.append(_message_row(op))
            event_rows.append(_event_row(op.id, Event(MessageStatus.ACCEPTED, op.created_at)))
        elif isinstance(op, StatusChange):
            event_rows.append(_event_row(op.message_id, op.event))
            changes.append(op)
        else:
            attempt_rows.append(_attempt_row(op.attempt))
            if op.change is not None:
                event_rows.append(_event_row(op.change.message_id, op.change.event))
                changes.append(op.change)
    if new_messages:
        await conn.execute(messages.insert(), new_messages)
    if event_rows:
        await conn.execute(events.insert(), event_rows)
    if attempt_rows:
        await conn.execute(attempts.insert(), attempt_rows)
    await _update_statuses(conn, changes)


async def _update_statuses(conn: AsyncConnection, changes: Sequence[StatusChange]) -> None:
    # One UPDATE per run of changes with the same target status and guard, in arrival order, so
    # a later status still wins over an earlier one within a batch.
    run: list[str] = []
    key: tuple[MessageStatus, frozenset[MessageStatus] | None] | None = None
    for change in changes:
        if change.new_status is None:
            continue
        guard = None if change.only_from is None else frozenset(change.only_from)
        this = (change.new_status, guard)
        if this != key and run:
            await _update(conn, run, *key)  # type: ignore[misc]
            run = []
        key = this
        run.append(change.message_id)
    if run and key is not None:
        await _update(conn, run, *key)


async def _update(
    conn: AsyncConnection,
    ids: list[str],
    status: MessageStatus,
    only_from: frozenset[MessageStatus] | None,
) -> None:
    update = messages.update().where(messages.c.id.in_(ids))
    if only_from is not None:
        # Sorted: a guard binds its statuses in one order on every run (logs, query plans).
        update = update.where(messages.c.status.in_(sorted(only_from)))
    await conn.execute(update.values(status=status, updated_at=datetime.now(UTC)))


def _message_row(m: NewMessage) -> dict[str, Any]:
    return {
        "id": m.id,
        "type": m.type,
        "sender": m.sender,
        "sender_system": m.sender_system,
        "recipients": list(m.recipients),
        "correlation_id": m.correlation_id,
        "priority": m.priority,
        "deadline": m.deadline,
        "status": MessageStatus.ACCEPTED,
        "created_at": m.created_at,
        "updated_at": m.created_at,
        "idempotency_key": m.idempotency_key,
        "request_hash": m.request_hash,
        "payload": m.payload,
        "content_type": m.content_type,
        "payload_ref": m.payload_ref,
        "document_id": m.document_id,
        "signature": m.signature,
        "order_key": m.order_key,
    }


def _attempt_row(a: Attempt) -> dict[str, Any]:
    return {
        "message_id": a.message_id,
        "recipient": a.recipient,
        "target": a.target,
        "at": a.at,
        "outcome": a.outcome,
        "status_code": a.status_code,
        "error": a.error,
        "duration_ms": a.duration_ms,
    }
