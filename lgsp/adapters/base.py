"""What an adapter is, and what it is given.

An adapter consumes one axis's work queue and delivers each message somewhere (a webhook, an
inbox, a national API). It never builds its own HTTP client, bus or journal: it gets them in an
``AdapterContext``. New connectors are found through the ``lgsp.adapters`` entry point group, each
entry naming a factory ``(AdapterContext) -> Adapter``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import entry_points
from typing import Protocol, runtime_checkable

import httpx
from pydantic import ValidationError

from lgsp.blobs import BlobStore
from lgsp.bus import Bus, Delivery, Reply
from lgsp.bus.envelope import EnvelopeHeaders
from lgsp.errors import ConfigurationError, PermanentDeliveryError
from lgsp.journal import Journal, MessageRecord, MessageStatus
from lgsp.metrics import Metrics
from lgsp.schemas import SUBMISSION, Envelope
from lgsp.settings import Settings

__all__ = [
    "ENTRY_POINT_GROUP",
    "Adapter",
    "AdapterContext",
    "AdapterFactory",
    "Answerer",
    "accepted_record",
    "load_adapter",
    "read_envelope",
]

ENTRY_POINT_GROUP = "lgsp.adapters"


@dataclass(frozen=True, slots=True)
class AdapterContext:
    settings: Settings
    bus: Bus
    journal: Journal
    http: httpx.AsyncClient
    blobs: BlobStore
    metrics: Metrics | None = None
    """The process's metrics, for an adapter that records more than its deliveries (which the
    runtime counts for every adapter)."""


class Adapter(Protocol):
    """Delivers the messages of one axis."""

    axis: str

    async def handle(self, delivery: Delivery) -> None:
        """Deliver one message; raise ``TransientDeliveryError`` or ``PermanentDeliveryError``."""


@runtime_checkable
class Answerer(Protocol):
    """An adapter that also answers its axis's requests (lookups, ``POST /v1/requests``)."""

    axis: str

    async def answer(self, delivery: Delivery) -> Reply:
        """Answer one request; raise nothing the far side's failure can explain (reply
        ``FAILED`` with a detail instead)."""


class AdapterFactory(Protocol):
    def __call__(self, context: AdapterContext) -> Adapter: ...


def load_adapter(name: str, context: AdapterContext) -> Adapter:
    """The adapter registered as ``name`` in the ``lgsp.adapters`` entry point group."""
    found = entry_points(group=ENTRY_POINT_GROUP, name=name)
    if not found:
        known = sorted(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))
        raise ConfigurationError(f"no adapter {name!r}; installed: {', '.join(known) or 'none'}")
    factory: AdapterFactory = next(iter(found)).load()
    return factory(context)


async def accepted_record(
    journal: Journal, delivery: Delivery, *, grace: float
) -> MessageRecord | None:
    """The journal's record of ``delivery``, or ``None`` when the gateway never accepted it.

    The gateway writes the journal and publishes side by side, so a consumer can see a message a
    moment before its row commits; it waits up to ``grace`` seconds after the message's creation.
    No row by then, or a ``rejected`` one, means the sender was answered 503: drop the message.
    """
    created = _created_at(delivery)
    while True:
        record = await journal.get(delivery.message_id)
        if record is not None:
            return None if record.status == MessageStatus.REJECTED else record
        waited = (datetime.now(UTC) - created).total_seconds() if created else grace
        if waited >= grace:
            return None
        await asyncio.sleep(min(0.05, grace - waited))


def _created_at(delivery: Delivery) -> datetime | None:
    try:
        return EnvelopeHeaders.from_headers(delivery.headers).created_at
    except (KeyError, ValueError, TypeError):
        return None


def read_envelope(delivery: Delivery) -> Envelope:
    """The envelope of a delivery: the caller's bytes plus the gateway's headers."""
    headers = EnvelopeHeaders.from_delivery(delivery)
    try:
        submission = SUBMISSION.validate_json(delivery.body)
    except ValidationError as exc:
        # Only the gateway publishes to work queues, so this is a bug or a foreign publisher.
        raise PermanentDeliveryError(f"unreadable message on the bus: {exc}") from exc
    return Envelope(
        id=delivery.message_id,
        type=submission.type,
        sender=headers.sender,
        recipients=submission.recipients,
        correlation_id=submission.correlation_id,
        created_at=headers.created_at,
        deadline=headers.deadline,
        priority=submission.priority,
        body=submission.body,
    )
