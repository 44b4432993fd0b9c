"""What a message bus is to lgsp: the interfaces both implementations keep.

``RabbitBus`` (production) and ``MemoryBus`` (``lgsp demo``, fast unit tests) route, confirm, settle
and dead-letter alike, so code written against ``Bus`` runs on either. How a handler's outcome turns
into ack, requeue or dead letter is decided once, in ``lgsp.bus.scope.run_handler``.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

__all__ = [
    "ATTEMPT_HEADER",
    "PARKED_AT_HEADER",
    "PARK_REASON_HEADER",
    "RETRY_REASON_HEADER",
    "Bus",
    "Delivery",
    "DeliveryObserver",
    "Handler",
    "Outcome",
    "OutgoingMessage",
    "Reply",
    "ReplyOutcome",
    "RequestHandler",
    "Settled",
    "attempt_of",
]

PARK_REASON_HEADER = "x-lgsp-reason"
"""Why a message was parked in dead letters."""
PARKED_AT_HEADER = "x-lgsp-parked-at"
"""When it was parked (ISO 8601)."""
ATTEMPT_HEADER = "x-lgsp-attempt"
"""How many retries a message has had (absent: none)."""
RETRY_REASON_HEADER = "x-lgsp-retry-reason"
"""Why the last attempt is being retried."""


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A message to publish. ``message_id`` is always set: consumers de-duplicate by it."""

    message_id: str
    routing_key: str
    body: bytes
    type: str
    headers: Mapping[str, Any] = field(default_factory=dict)
    correlation_id: str | None = None
    content_type: str = "application/json"
    timestamp: datetime | None = None
    reply_to: str | None = None
    """A request's: the queue its reply goes to (set by ``Bus.request``, not by callers)."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """A message handed to a consumer, as either bus delivers it."""

    message_id: str
    routing_key: str
    body: bytes
    type: str
    headers: Mapping[str, Any]
    correlation_id: str | None
    content_type: str
    redelivered: bool
    delivery_count: int
    """How many times the broker handed this message out before (0 the first time)."""
    timestamp: datetime | None = None
    reply_to: str | None = None
    """Set on a request: where ``serve_requests`` sends its reply."""

    def as_outgoing(
        self, *, routing_key: str | None = None, headers: Mapping[str, Any] | None = None
    ) -> OutgoingMessage:
        """The same message, to publish again (dead letters, retries, replays), with extra
        headers."""
        return OutgoingMessage(
            message_id=self.message_id,
            routing_key=routing_key or self.routing_key,
            body=self.body,
            type=self.type,
            headers={**self.headers, **(headers or {})},
            correlation_id=self.correlation_id,
            content_type=self.content_type,
            timestamp=self.timestamp,
            reply_to=self.reply_to,
        )


def attempt_of(delivery: Delivery) -> int:
    """How many retries ``delivery`` has had."""
    value = delivery.headers.get(ATTEMPT_HEADER, 0)
    return value if isinstance(value, int) else 0


Handler = Callable[[Delivery], Awaitable[None]]


class ReplyOutcome(enum.StrEnum):
    """What the far side said to a request (a lookup)."""

    FOUND = "found"
    """An answer: the gateway returns 200 with it."""
    NOT_FOUND = "not_found"
    """The far side knows no such record: 200 with ``found: false``."""
    FAILED = "failed"
    """The far side failed, refused or is down: the gateway answers 502 with ``detail``."""


@dataclass(frozen=True, slots=True)
class Reply:
    """An adapter's answer to a request, carried back on the requesting gateway's reply queue."""

    outcome: ReplyOutcome
    answer: Mapping[str, Any] | None = None
    detail: str | None = None

    def to_bytes(self) -> bytes:
        return json.dumps(
            {"outcome": self.outcome.value, "answer": self.answer, "detail": self.detail},
            ensure_ascii=False,
        ).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Reply:
        """Read a reply; anything unreadable is a ``FAILED`` reply saying so."""
        try:
            data = json.loads(raw)
            outcome = ReplyOutcome(data["outcome"])
            answer = data.get("answer")
            detail = data.get("detail")
        except (ValueError, KeyError, TypeError):
            return cls(ReplyOutcome.FAILED, detail="unreadable reply from the adapter")
        if answer is not None and not isinstance(answer, dict):
            return cls(ReplyOutcome.FAILED, detail="unreadable reply from the adapter")
        return cls(outcome, answer, detail if isinstance(detail, str) else None)


RequestHandler = Callable[[Delivery], Awaitable[Reply]]
"""Answers one request; an exception it raises is replied as ``FAILED``."""


class Settled(enum.StrEnum):
    """How one delivery ended, as the settle policy decided it."""

    HANDLED = "handled"
    """The handler returned: acknowledged."""
    RETRY = "retry"
    """``RetryLater`` or ``Unavailable``: back through a delay queue, acknowledged here."""
    PARKED = "parked"
    """Another ``DeliveryError``: in dead letters with its reason, acknowledged here."""
    REQUEUED = "requeued"
    """Unexpected, or the delay or park itself failed: handed out again by the queue."""


class DeliveryObserver(Protocol):
    """Told the outcome of every delivery of a work queue (``lgsp.metrics.Metrics`` is one)."""

    def delivery_settled(self, axis: str, settled: Settled, seconds: float) -> None: ...


class Outcome(enum.Enum):
    """How a delivery is settled once its handler has run."""

    ACK = "ack"
    """Handled, or parked in dead letters with a reason: remove from the work queue."""
    REQUEUE = "requeue"
    """Unexpected failure: hand it out again (the queue's delivery limit stops poison loops)."""


class Bus(Protocol):
    """A broker as the gateway and adapters use it."""

    async def start(self) -> None:
        """Connect and declare the topology; raises ``BrokerUnavailable``."""

    async def close(self) -> None: ...

    async def publish(self, message: OutgoingMessage) -> None:
        """Publish persistently and wait for the broker's confirm; raises ``BrokerUnavailable``."""

    async def park(self, delivery: Delivery, reason: str) -> None:
        """Put ``delivery`` in dead letters with ``reason``, confirmed."""

    async def delay(self, delivery: Delivery, seconds: float, reason: str) -> None:
        """Hand ``delivery`` back to its queue in ``seconds``, its attempt count one higher,
        durably (a delay queue on RabbitMQ), confirmed."""

    async def consume(
        self, axis: str, handler: Handler, *, observer: DeliveryObserver | None = None
    ) -> None:
        """Start handing the axis's work queue to ``handler`` until ``close``; each delivery runs
        in its scope (``lgsp.bus.scope.run_handler``), whose outcome ``observer`` is told."""

    async def consume_dead_letters(self, handler: Handler) -> None:
        """Start handing the dead-letter queue to ``handler`` until ``close``."""

    async def request(self, message: OutgoingMessage, within: float) -> Reply:
        """Send a request to its axis's request queue and wait up to ``within`` seconds for the
        reply on this process's own reply queue (matched by correlation id: the message id).

        The request expires with its wait: it carries the remaining time as its expiration and
        its deadline in ``x-lgsp-deadline`` (kept when the caller set one). Raises
        ``RequestTimeout`` when no reply comes in time (a later one is dropped) and
        ``BrokerUnavailable`` when the request cannot be published."""

    async def serve_requests(self, axis: str, handler: RequestHandler) -> None:
        """Start answering the axis's requests with ``handler`` until ``close``; each reply goes
        to the requester's reply queue. Requests past their deadline are dropped unanswered, and
        an exception ``handler`` raises is replied as ``FAILED``."""

    async def stop_consuming(self, grace: float) -> None:
        """Take no more deliveries, and wait up to ``grace`` seconds for those in hand.

        What is still in hand after that is not acknowledged and goes back to its queue when the
        bus closes: nothing is lost, at worst delivered again (and de-duplicated)."""

    def is_connected(self) -> bool: ...
