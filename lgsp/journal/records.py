"""Plain records the journal stores and returns: systems, messages, events, delivery attempts.

Frozen dataclasses, not models: they never come from a caller, so there is nothing to validate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from lgsp.journal.statuses import EventStatus, MessageStatus

__all__ = ["Attempt", "Event", "MessageRecord", "NewMessage", "System", "SystemFormat"]

SystemFormat = Literal["json", "edxml"]


@dataclass(frozen=True, slots=True)
class System:
    """A registered provincial system: who it is, what it may send, where it receives."""

    id: str
    agency: str
    api_key_hash: str
    webhook_secret: str
    created_at: datetime
    webhook_url: str | None = None
    format: SystemFormat = "json"
    may_send: frozenset[str] = frozenset()
    operator: bool = False
    """An operator: may read and act on dead letters; sends no messages."""


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A message the gateway is about to accept."""

    id: str
    type: str
    sender: str
    sender_system: str
    recipients: tuple[str, ...]
    created_at: datetime
    payload: bytes
    priority: int = 0
    correlation_id: str | None = None
    deadline: datetime | None = None
    idempotency_key: str | None = None
    request_hash: str | None = None
    content_type: str = "application/json"
    payload_ref: str | None = None
    """A blob reference when the payload is too large for the journal row and the broker."""
    document_id: str | None = None
    """The edXML DocumentId (``OrganId,yyyy/MM/dd,Number/Notation``) of a document."""
    signature: str | None = None
    """``signed``, ``unsigned`` or ``invalid`` for edXML packages."""
    order_key: str | None = None
    """Messages sharing this key reach their recipient in the order they were accepted
    (``dossier:<MaHoSo>`` for dossier sync)."""


@dataclass(frozen=True, slots=True)
class Event:
    """One step of a message's history, for one recipient or for the whole message."""

    status: EventStatus
    """A ``RecipientState`` with ``recipient``; else the ``MessageStatus`` it moved the message
    to or a ``HistoryMark``; or text of an open vocabulary (``ministry.<status>``, edXML codes)."""
    at: datetime
    recipient: str | None = None
    detail: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try at handing a message to one recipient's endpoint."""

    message_id: str
    recipient: str
    target: str
    at: datetime
    outcome: Literal["delivered", "failed"]
    duration_ms: int
    status_code: int | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class MessageRecord:
    """A message as the journal knows it, with its history."""

    id: str
    type: str
    sender: str
    sender_system: str
    recipients: tuple[str, ...]
    status: MessageStatus
    created_at: datetime
    updated_at: datetime
    correlation_id: str | None = None
    request_hash: str | None = None
    content_type: str = "application/json"
    payload_ref: str | None = None
    document_id: str | None = None
    signature: str | None = None
    priority: int = 0
    deadline: datetime | None = None
    order_key: str | None = None
    events: tuple[Event, ...] = field(default=())
