"""The registry of provincial systems: credentials, rights and delivery endpoints.

API keys are stored only as SHA-256 hashes: keys are 256-bit random, so a slow password hash would
cost every request without adding safety.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from lgsp.errors import ConfigurationError, JournalUnavailable
from lgsp.journal.records import System
from lgsp.journal.tables import systems

__all__ = ["SystemRegistry", "hash_api_key"]


def hash_api_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def _system(row: sa.Row[tuple[object, ...]]) -> System:
    m = row._mapping
    return System(
        id=m["id"],
        agency=m["agency"],
        api_key_hash=m["api_key_hash"],
        webhook_url=m["webhook_url"],
        webhook_secret=m["webhook_secret"],
        format=m["format"],
        may_send=frozenset(m["may_send"]),
        created_at=m["created_at"],
        operator=bool(m["operator"]),
    )


class SystemRegistry:
    """Reads and writes registered systems."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, system: System) -> None:
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    systems.insert().values(
                        id=system.id,
                        agency=system.agency,
                        api_key_hash=system.api_key_hash,
                        webhook_url=system.webhook_url,
                        webhook_secret=system.webhook_secret,
                        format=system.format,
                        may_send=sorted(system.may_send),
                        created_at=system.created_at,
                        operator=system.operator,
                    )
                )
        except IntegrityError as exc:
            raise ConfigurationError(f"a system with id {system.id!r} exists already") from exc
        except SQLAlchemyError as exc:
            raise JournalUnavailable(f"cannot record the system: {exc}") from exc

    async def all(self) -> list[System]:
        return [_system(r) for r in await self._fetch(sa.select(systems).order_by(systems.c.id))]

    async def by_key_hash(self, key_hash: str) -> System | None:
        rows = await self._fetch(sa.select(systems).where(systems.c.api_key_hash == key_hash))
        return _system(rows[0]) if rows else None

    async def by_id(self, system_id: str) -> System | None:
        rows = await self._fetch(sa.select(systems).where(systems.c.id == system_id))
        return _system(rows[0]) if rows else None

    async def by_agency(self, agency: str) -> list[System]:
        rows = await self._fetch(
            sa.select(systems).where(systems.c.agency == agency).order_by(systems.c.id)
        )
        return [_system(r) for r in rows]

    async def _fetch(
        self, query: sa.Select[tuple[object, ...]]
    ) -> list[sa.Row[tuple[object, ...]]]:
        try:
            async with self._engine.connect() as conn:
                return list((await conn.execute(query)).all())
        except SQLAlchemyError as exc:
            raise JournalUnavailable(f"cannot read the registry: {exc}") from exc
