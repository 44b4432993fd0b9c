"""The journal's tables (SQLAlchemy Core), one definition for SQLite and PostgreSQL.

Not for: queries (``lgsp.journal.store``) or connecting (``lgsp.journal.engine``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)

__all__ = [
    "SCHEMA_VERSION",
    "attempts",
    "endpoints",
    "events",
    "inbox",
    "messages",
    "metadata",
    "national_inbox",
    "schema_info",
    "systems",
]

SCHEMA_VERSION = 6
"""Bump with every change to the tables, and teach ``lgsp.journal.engine.migrate`` the step."""


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both engines (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = value
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


_BigId = BigInteger().with_variant(Integer, "sqlite")

metadata = MetaData()

schema_info = Table(
    "lgsp_schema",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("applied_at", UTCDateTime, nullable=False),
)

systems = Table(
    "systems",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("agency", String(35), nullable=False, index=True),
    Column("api_key_hash", String(64), nullable=False, unique=True),
    Column("webhook_url", Text, nullable=True),
    # Kept in clear: the platform must sign every webhook call with it.
    Column("webhook_secret", String(128), nullable=False),
    Column("format", String(8), nullable=False),
    Column("may_send", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # Schema version 3: operators (dead letters, replays) are systems with this flag.
    Column("operator", Boolean, nullable=False, server_default=sa.false()),
)

messages = Table(
    "messages",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("type", String(64), nullable=False),
    Column("sender", String(35), nullable=False),
    Column("sender_system", String(64), nullable=False),
    Column("recipients", JSON, nullable=False),
    Column("correlation_id", String(128), nullable=True),
    Column("priority", SmallInteger, nullable=False),
    Column("deadline", UTCDateTime, nullable=True),
    Column("status", String(32), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("idempotency_key", String(255), nullable=True),
    Column("request_hash", String(64), nullable=True),
    Column("payload", LargeBinary, nullable=False),
    # Schema version 2: the document axis.
    Column("content_type", String(64), nullable=True),
    Column("payload_ref", String(80), nullable=True),
    Column("document_id", String(200), nullable=True),
    Column("signature", String(16), nullable=True),
    # Schema version 6: messages that must reach their recipient in the order they were accepted
    # share a key (``dossier:<MaHoSo>`` for dossier sync); see ``Journal.first_unsettled_before``.
    Column("order_key", String(200), nullable=True),
    UniqueConstraint("sender_system", "idempotency_key", name="uq_messages_idempotency"),
)
Index("ix_messages_status", messages.c.status)
Index("ix_messages_document_id", messages.c.document_id)
Index("ix_messages_order_key", messages.c.order_key, messages.c.id)

endpoints = Table(
    "endpoints",
    metadata,
    # Schema version 4: the circuit breaker of each delivery endpoint, as adapters last saw it.
    Column("target", String(500), primary_key=True),
    Column("state", String(16), nullable=False),
    Column("failures", Integer, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

inbox = Table(
    "inbox",
    metadata,
    # Schema version 5: pull delivery for systems without a webhook; one row per message and
    # system, so redeliveries and replays never put a message there twice.
    Column("message_id", String(36), primary_key=True),
    Column("system_id", String(64), primary_key=True),
    Column("recipient", String(35), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("acked_at", UTCDateTime, nullable=True),
)
Index("ix_inbox_system", inbox.c.system_id, inbox.c.acked_at)

national_inbox = Table(
    "national_inbox",
    metadata,
    # One row per package fetched from the national document axis: polling resumes from here
    # after a restart without fetching a package twice.
    Column("doc_id", String(128), primary_key=True),
    Column("service_type", String(16), nullable=False),
    Column("message_id", String(36), nullable=True),
    Column("state", String(16), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("error", Text, nullable=True),
)

events = Table(
    "events",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("message_id", String(36), nullable=False, index=True),
    Column("status", String(32), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("recipient", String(35), nullable=True),
    Column("detail", JSON, nullable=True),
)

attempts = Table(
    "attempts",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("message_id", String(36), nullable=False, index=True),
    Column("recipient", String(35), nullable=False),
    Column("target", Text, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("error", Text, nullable=True),
    Column("duration_ms", Integer, nullable=False),
)
