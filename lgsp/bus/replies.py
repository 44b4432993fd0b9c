"""Request-reply as both buses do it: the requests a process waits on, the deadline a request
carries, and the answering of one request.

A request's correlation id is its message id; the requester keeps one entry per request it waits
on, for exactly as long as it waits, so a reply that comes late finds nothing and is dropped.

Not for: carrying requests and replies (each bus routes them its own way) or HTTP
(``lgsp.gateway.requests``).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import structlog

from lgsp.bus.base import Delivery, OutgoingMessage, Reply, ReplyOutcome, RequestHandler
from lgsp.bus.envelope import DEADLINE_HEADER
from lgsp.errors import RequestTimeout

__all__ = [
    "PendingReplies",
    "as_request",
    "deadline_of",
    "expired",
    "serve_one",
]

_SHORTEST_EXPIRATION = 0.001
"""Seconds: a request published with no time left still needs a positive expiration."""

log = structlog.get_logger(__name__)


def as_request(message: OutgoingMessage, within: float, reply_to: str) -> OutgoingMessage:
    """``message`` as a request: its reply goes to ``reply_to``, correlated by the message id,
    and it carries a deadline (``within`` seconds from now, unless it has one already)."""
    headers = dict(message.headers)
    if DEADLINE_HEADER not in headers:
        headers[DEADLINE_HEADER] = (datetime.now(UTC) + timedelta(seconds=within)).isoformat()
    return dataclasses.replace(
        message, headers=headers, reply_to=reply_to, correlation_id=message.message_id
    )


def deadline_of(delivery: Delivery) -> datetime | None:
    """The request's deadline; ``None`` when it has none (or one nobody can read)."""
    value = delivery.headers.get(DEADLINE_HEADER)
    if value is None:
        return None
    try:
        deadline = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return deadline if deadline.tzinfo is not None else deadline.replace(tzinfo=UTC)


def expired(delivery: Delivery) -> bool:
    """Whether the request's deadline has passed."""
    deadline = deadline_of(delivery)
    return deadline is not None and deadline <= datetime.now(UTC)


class PendingReplies:
    """The requests one bus instance waits on, by correlation id."""

    def __init__(self) -> None:
        self._waiting: dict[str, asyncio.Future[Reply]] = {}

    def __len__(self) -> int:
        return len(self._waiting)

    async def wait(
        self,
        request: OutgoingMessage,
        within: float,
        send: Callable[[float], Awaitable[None]],
    ) -> Reply:
        """Send ``request`` with ``send(expiration_seconds)``, then wait for its reply until
        ``within`` seconds after this call. Raises ``RequestTimeout``, or what ``send`` raises."""
        loop = asyncio.get_running_loop()
        give_up = loop.time() + within
        key = request.correlation_id or request.message_id
        if key in self._waiting:
            raise ValueError(f"request {key} is already waiting for its reply")
        # Registered before sending: a fast answer must find its entry.
        future: asyncio.Future[Reply] = loop.create_future()
        self._waiting[key] = future
        try:
            await send(max(give_up - loop.time(), _SHORTEST_EXPIRATION))
            try:
                async with asyncio.timeout_at(give_up):
                    return await future
            except TimeoutError:
                raise RequestTimeout(f"no answer to request {key} within {within:g}s") from None
        finally:
            # Always, whatever ended the wait: a reply that comes later finds no entry.
            del self._waiting[key]

    def resolve(self, correlation_id: str | None, reply: Reply) -> None:
        """Hand ``reply`` to the request waiting for it; drop it when none is (any more)."""
        future = self._waiting.get(correlation_id or "")
        if future is None or future.done():
            log.info("late_reply_dropped", correlation_id=correlation_id)
            return
        future.set_result(reply)

    def fail_all(self, exc: Exception) -> None:
        """End every wait with ``exc`` (the bus is closing: no reply can come)."""
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(exc)


async def serve_one(delivery: Delivery, handler: RequestHandler) -> Reply | None:
    """``handler``'s reply to one request, or ``None`` when the request expired before or while
    it was answered (nobody waits for it any more). An exception becomes a ``FAILED`` reply."""
    deadline = deadline_of(delivery)
    if deadline is not None and deadline <= datetime.now(UTC):
        log.info("request_expired", message_id=delivery.message_id, type=delivery.type)
        return None
    loop = asyncio.get_running_loop()
    # Bounded by the deadline: a far side slower than that only holds a slot for nothing.
    when = None if deadline is None else loop.time() + _seconds_until(deadline)
    timeout = asyncio.timeout_at(when)
    try:
        async with timeout:
            return await handler(delivery)
    except TimeoutError:
        if not timeout.expired():
            return _failed(delivery, TimeoutError())
        log.info("request_expired_while_answered", message_id=delivery.message_id)
        return None
    except Exception as exc:
        return _failed(delivery, exc)


def _seconds_until(deadline: datetime) -> float:
    return (deadline - datetime.now(UTC)).total_seconds()


def _failed(delivery: Delivery, exc: BaseException) -> Reply:
    # The detail goes back to the caller: the exception's name only, never its text (which may
    # quote the request, personal ID numbers included). The log has the whole of it, masked.
    log.error(
        "request_handler_failed",
        message_id=delivery.message_id,
        type=delivery.type,
        exc_info=exc,
    )
    return Reply(
        ReplyOutcome.FAILED, detail=f"answering {delivery.type} failed ({type(exc).__name__})"
    )
