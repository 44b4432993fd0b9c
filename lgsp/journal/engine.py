"""Connecting to the journal's database and bringing its schema up to date.

``LGSP_DB_URL`` is written as users know it (``sqlite:///path``, ``postgresql://user@host/db``); the
async driver is chosen here. The schema is created on first start and migrated on later ones.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from lgsp.errors import ConfigurationError, JournalUnavailable
from lgsp.journal.tables import SCHEMA_VERSION, metadata, schema_info

__all__ = ["async_url", "connect", "migrate"]

_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


def async_url(db_url: str) -> sa.URL:
    """The SQLAlchemy URL with the async driver for ``db_url``."""
    try:
        url = make_url(db_url)
    except sa.exc.ArgumentError as exc:
        raise ConfigurationError(f"LGSP_DB_URL is not a database URL: {db_url!r}") from exc
    backend = url.get_backend_name()
    if backend not in _DRIVERS:
        raise ConfigurationError(f"LGSP_DB_URL must name sqlite or postgresql, not {backend!r}")
    return url.set(drivername=_DRIVERS[backend])


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers work while the writer commits; NORMAL sync is durable across process
    # crashes (the guarantee we give) at a fraction of FULL's cost.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def connect(db_url: str, *, timeout: float = 10.0) -> AsyncEngine:
    """An engine for ``db_url``; the SQLite file and its folder are created when missing."""
    url = async_url(db_url)
    kwargs: dict[str, Any] = {}
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30}
    else:
        # Bounded waits: a database that restarts or hangs makes calls fail (and callers answer
        # 503 or retry later) instead of holding every writer behind one stuck connection.
        kwargs.update(
            pool_size=10,
            max_overflow=10,
            pool_pre_ping=True,
            pool_timeout=timeout,
            connect_args={"timeout": timeout, "command_timeout": timeout},
        )
    engine = create_async_engine(url, **kwargs)
    if url.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


_STEPS: dict[int, tuple[tuple[str, str, str], ...]] = {
    # Columns each version added to tables older than it: (table, column, SQL type and default).
    # New tables come whole from create_all; a column already there (a table create_all just
    # made, or a step half done on SQLite, whose DDL does not wait for the commit) is skipped.
    2: (
        ("messages", "content_type", "VARCHAR(64)"),
        ("messages", "payload_ref", "VARCHAR(80)"),
        ("messages", "document_id", "VARCHAR(200)"),
        ("messages", "signature", "VARCHAR(16)"),
    ),
    3: (("systems", "operator", "BOOLEAN NOT NULL DEFAULT false"),),
    4: (),  # the endpoints table, new: create_all makes it
    5: (),  # the inbox table, likewise
    6: (("messages", "order_key", "VARCHAR(200)"),),
}

_INDEXES = {
    # Indexes on columns the steps added: create_all makes them only with a new table, so a
    # migrated one gets them here (each skipped when already there).
    "ix_messages_document_id": "CREATE INDEX ix_messages_document_id ON messages (document_id)",
    "ix_messages_order_key": "CREATE INDEX ix_messages_order_key ON messages (order_key, id)",
}


def _columns(sync_conn: sa.Connection) -> dict[str, set[str]]:
    inspector = sa.inspect(sync_conn)
    return {t: {c["name"] for c in inspector.get_columns(t)} for t in inspector.get_table_names()}


def _indexes(sync_conn: sa.Connection, table: str) -> set[str]:
    return {str(i["name"]) for i in sa.inspect(sync_conn).get_indexes(table)}


_MIGRATION_LOCK = 0x6C677370  # "lgsp": one PostgreSQL advisory lock for schema changes


async def migrate(engine: AsyncEngine) -> int:
    """Create missing tables and record the schema version; returns the version in force.

    Several processes may start together on a new database: PostgreSQL serialises them with an
    advisory lock; on SQLite the loser of a race sees the tables exist on its next try.
    """
    for attempt in range(5):
        try:
            return await _migrate_once(engine)
        except (SQLAlchemyError, OSError) as exc:
            if attempt == 4 or isinstance(exc, sa.exc.InterfaceError):
                raise JournalUnavailable(f"cannot open the journal: {exc}") from exc
            await asyncio.sleep(0.1 * (attempt + 1))
    raise AssertionError("unreachable")


async def _migrate_once(engine: AsyncEngine) -> int:
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(sa.text(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})"))
        await conn.run_sync(metadata.create_all)
        current = (await conn.execute(sa.select(sa.func.max(schema_info.c.version)))).scalar()
        if current is None:
            await conn.execute(
                schema_info.insert().values(version=SCHEMA_VERSION, applied_at=datetime.now(UTC))
            )
            current = SCHEMA_VERSION
        elif current > SCHEMA_VERSION:
            raise ConfigurationError(
                f"the journal's schema is version {current}, newer than this lgsp "
                f"({SCHEMA_VERSION}): upgrade lgsp"
            )
        if current < SCHEMA_VERSION:
            columns = await conn.run_sync(_columns)
            for version in range(int(current) + 1, SCHEMA_VERSION + 1):
                for table, column, sql_type in _STEPS[version]:
                    if column not in columns.get(table, set()):
                        await conn.execute(
                            sa.text(f"ALTER TABLE {table} ADD COLUMN {column} {sql_type}")
                        )
                await conn.execute(
                    schema_info.insert().values(version=version, applied_at=datetime.now(UTC))
                )
            there = await conn.run_sync(_indexes, "messages")
            for name, ddl in _INDEXES.items():
                if name not in there:
                    await conn.execute(sa.text(ddl))
        return SCHEMA_VERSION
