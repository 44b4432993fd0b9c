"""The envelope on the bus: what the gateway adds to a caller's bytes, as typed AMQP headers.

A message travels as the caller's own bytes (JSON or an edXML package) plus the facts the platform
decided at the door: who sent it and through which system, to whom, when, with what priority and
deadline, the state of its XML signature, and where its payload is when it is too large to carry.
``EnvelopeHeaders`` is the one place that spells those facts as header names; everything that
publishes a message (acceptance, recovery and replay, request-reply) writes them with
``to_headers()`` and everything that consumes one (adapters, the document formats) reads them with
``from_delivery()``. One name per fact:

    x-lgsp-sender       the sending agency's code
    x-lgsp-system       the registered system that sent it (absent for the national axis bridge)
    x-lgsp-recipients   the recipients' agency codes (a list)
    x-lgsp-created-at   when it was accepted (ISO 8601, with its zone)
    x-lgsp-priority     0 normal ... 3 (edXML's Priority)
    x-lgsp-deadline     after this, nobody waits for it (ISO 8601)
    x-lgsp-signature    signed, unsigned or invalid (edXML packages)
    x-lgsp-blob         the blob store's reference when the payload travels by reference
    x-lgsp-replayed     true when an operator replayed it from dead letters

The bus's own bookkeeping (attempts, park and retry reasons) is not part of the envelope: it lives
with the bus (``lgsp.bus.base``).

Not for: the caller's bytes (``lgsp.schemas``) or how a message is settled.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lgsp.bus.base import Delivery
from lgsp.errors import PermanentDeliveryError

__all__ = [
    "BLOB_HEADER",
    "CREATED_AT_HEADER",
    "DEADLINE_HEADER",
    "PRIORITY_HEADER",
    "RECIPIENTS_HEADER",
    "REPLAYED_HEADER",
    "SENDER_HEADER",
    "SIGNATURE_HEADER",
    "SYSTEM_HEADER",
    "EnvelopeHeaders",
    "deadline_in",
]

SENDER_HEADER = "x-lgsp-sender"
SYSTEM_HEADER = "x-lgsp-system"
RECIPIENTS_HEADER = "x-lgsp-recipients"
CREATED_AT_HEADER = "x-lgsp-created-at"
PRIORITY_HEADER = "x-lgsp-priority"
DEADLINE_HEADER = "x-lgsp-deadline"
SIGNATURE_HEADER = "x-lgsp-signature"
BLOB_HEADER = "x-lgsp-blob"
REPLAYED_HEADER = "x-lgsp-replayed"


@dataclass(frozen=True, slots=True)
class EnvelopeHeaders:
    """The platform's facts about one message, beside the caller's bytes."""

    sender: str
    """The sending agency's code: the calling system's, never taken from the body."""
    created_at: datetime
    system: str | None = None
    """The id of the registered system that sent it."""
    recipients: tuple[str, ...] = ()
    priority: int = 0
    deadline: datetime | None = None
    signature: str | None = None
    blob: str | None = None
    """Set when the payload is in the blob store (the body on the bus is then empty)."""
    replayed: bool = False

    def to_headers(self) -> dict[str, Any]:
        """The AMQP headers; facts that are absent are left out, not sent empty."""
        headers: dict[str, Any] = {
            SENDER_HEADER: self.sender,
            CREATED_AT_HEADER: self.created_at.isoformat(),
            RECIPIENTS_HEADER: list(self.recipients),
            PRIORITY_HEADER: self.priority,
        }
        if self.system is not None:
            headers[SYSTEM_HEADER] = self.system
        if self.deadline is not None:
            headers[DEADLINE_HEADER] = self.deadline.isoformat()
        if self.signature is not None:
            headers[SIGNATURE_HEADER] = self.signature
        if self.blob is not None:
            headers[BLOB_HEADER] = self.blob
        if self.replayed:
            headers[REPLAYED_HEADER] = True
        return headers

    @classmethod
    def from_delivery(cls, delivery: Delivery) -> EnvelopeHeaders:
        """The envelope of ``delivery``; ``PermanentDeliveryError`` when it has none that can be
        read (only the gateway publishes to work queues: a bug or a foreign publisher)."""
        try:
            return cls.from_headers(delivery.headers)
        except (KeyError, ValueError, TypeError) as exc:
            raise PermanentDeliveryError(f"unreadable message on the bus: {exc!r}") from exc

    @classmethod
    def from_headers(cls, headers: Mapping[str, Any]) -> EnvelopeHeaders:
        """Read the headers; raises ``KeyError``, ``ValueError`` or ``TypeError``."""
        recipients = headers.get(RECIPIENTS_HEADER) or ()
        if isinstance(recipients, str | bytes) or not isinstance(recipients, list | tuple):
            raise TypeError(f"{RECIPIENTS_HEADER} is not a list")
        system = headers.get(SYSTEM_HEADER)
        signature = headers.get(SIGNATURE_HEADER)
        blob = headers.get(BLOB_HEADER)
        return cls(
            sender=_text(headers[SENDER_HEADER]),
            created_at=_moment(headers[CREATED_AT_HEADER]),
            system=_text(system) if system else None,
            recipients=tuple(_text(r) for r in recipients),
            priority=int(headers.get(PRIORITY_HEADER) or 0),
            deadline=deadline_in(headers),
            signature=_text(signature) if signature else None,
            blob=_text(blob) if blob else None,
            replayed=bool(headers.get(REPLAYED_HEADER, False)),
        )


def deadline_in(headers: Mapping[str, Any]) -> datetime | None:
    """The deadline the headers carry; ``ValueError`` when it is there but unreadable."""
    value = headers.get(DEADLINE_HEADER)
    return _moment(value) if value else None


def _text(value: object) -> str:
    # AMQP long strings may come back as bytes when a publisher wrote them so.
    return value.decode() if isinstance(value, bytes) else str(value)


def _moment(value: object) -> datetime:
    return datetime.fromisoformat(_text(value))
