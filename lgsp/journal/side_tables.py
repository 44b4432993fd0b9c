"""The journal's smaller tables: the pull inbox, the endpoints' circuit breakers and the national
document axis's inbox. Mixed into ``Journal``; not for messages and their histories."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from lgsp.errors import JournalUnavailable
from lgsp.journal.records import Event, MessageRecord
from lgsp.journal.statuses import RecipientState
from lgsp.journal.tables import endpoints, inbox, messages, national_inbox
from lgsp.journal.writes import StatusChange, apply_ops

__all__ = ["SideTables"]


def _now() -> datetime:
    return datetime.now(UTC)


def _unavailable(exc: BaseException) -> JournalUnavailable:
    error = JournalUnavailable(f"cannot write to the journal: {exc}")
    error.__cause__ = exc
    return error


class SideTables:
    _engine: AsyncEngine

    async def _read(self, query: sa.Select[Any]) -> list[sa.Row[Any]]:
        raise NotImplementedError

    def _message(self, row: sa.Row[Any]) -> MessageRecord:
        raise NotImplementedError

    # -- the pull inbox ----------------------------------------------------------------------

    async def put_in_inbox(
        self, message_id: str, *, system_id: str, recipient: str, changes: list[StatusChange]
    ) -> bool:
        """Put the message in the system's inbox, once; ``False`` if it was there already."""
        try:
            async with self._engine.begin() as conn:
                there = await conn.execute(
                    sa.select(inbox.c.message_id).where(
                        inbox.c.message_id == message_id, inbox.c.system_id == system_id
                    )
                )
                if there.first() is not None:
                    return False
                await conn.execute(
                    inbox.insert().values(
                        message_id=message_id,
                        system_id=system_id,
                        recipient=recipient,
                        at=_now(),
                    )
                )
                await apply_ops(conn, changes)
                return True
        except IntegrityError:
            return False  # another adapter put it there a moment ago
        except (SQLAlchemyError, OSError) as exc:
            raise _unavailable(exc) from exc

    async def inbox_of(self, system_id: str, *, limit: int = 100) -> list[MessageRecord]:
        """Messages waiting in the system's inbox, oldest first."""
        query = (
            sa.select(messages)
            .join(inbox, inbox.c.message_id == messages.c.id)
            .where(inbox.c.system_id == system_id, inbox.c.acked_at.is_(None))
            .order_by(inbox.c.at, messages.c.id)
            .limit(limit)
        )
        return [self._message(row) for row in await self._read(query)]

    async def ack_inbox(self, message_id: str, *, system_id: str) -> bool:
        """Take the message out of the system's inbox; ``False`` if it was never there."""
        try:
            async with self._engine.begin() as conn:
                row = (
                    await conn.execute(
                        sa.select(inbox.c.acked_at, inbox.c.recipient).where(
                            inbox.c.message_id == message_id, inbox.c.system_id == system_id
                        )
                    )
                ).first()
                if row is None:
                    return False
                if row[0] is None:
                    now = _now()
                    await conn.execute(
                        inbox.update()
                        .where(inbox.c.message_id == message_id, inbox.c.system_id == system_id)
                        .values(acked_at=now)
                    )
                    event = Event(
                        RecipientState.ACKED, now, recipient=row[1], detail={"system": system_id}
                    )
                    await apply_ops(conn, [StatusChange(message_id, event)])
                return True
        except (SQLAlchemyError, OSError) as exc:
            raise _unavailable(exc) from exc

    # -- delivery endpoints' circuit breakers ---------------------------------------------------

    async def record_endpoint(self, target: str, *, state: str, failures: int) -> None:
        values = {"state": state, "failures": failures, "updated_at": _now()}
        try:
            async with self._engine.begin() as conn:
                updated = await conn.execute(
                    endpoints.update().where(endpoints.c.target == target).values(**values)
                )
                if updated.rowcount == 0:
                    await conn.execute(endpoints.insert().values(target=target, **values))
        except (SQLAlchemyError, OSError) as exc:
            raise _unavailable(exc) from exc

    async def endpoints(self) -> list[dict[str, Any]]:
        rows = await self._read(sa.select(endpoints).order_by(endpoints.c.target))
        return [
            {**row._mapping, "updated_at": row._mapping["updated_at"].isoformat()} for row in rows
        ]

    # -- the national document axis's inbox ----------------------------------------------------

    async def inbox_state(self, doc_id: str) -> str | None:
        """``ingested`` or ``failed`` for a package fetched before, ``None`` for a new one."""
        query = sa.select(national_inbox.c.state).where(national_inbox.c.doc_id == doc_id)
        rows = await self._read(query)
        return str(rows[0][0]) if rows else None

    async def record_inbox(
        self,
        doc_id: str,
        *,
        service_type: str,
        state: str,
        message_id: str | None = None,
        error: str | None = None,
    ) -> None:
        values = {
            "service_type": service_type,
            "state": state,
            "message_id": message_id,
            "at": _now(),
            "error": error,
        }
        try:
            async with self._engine.begin() as conn:
                updated = await conn.execute(
                    national_inbox.update()
                    .where(national_inbox.c.doc_id == doc_id)
                    .values(**values)
                )
                if updated.rowcount == 0:
                    await conn.execute(national_inbox.insert().values(doc_id=doc_id, **values))
        except (SQLAlchemyError, OSError) as exc:
            raise _unavailable(exc) from exc
