"""One delivery's scope: the settle policy both buses share, and what every delivery leaves behind.

``run_handler`` runs a consumer's handler for one delivery and decides, once, how the delivery is
settled (ack, delay, park, requeue). Around that decision it does what the gateway's middleware
does around a request: it binds the log context (message id, axis, type, attempt) so that every
line the handler writes carries it, times the handling, tells the process's observer (its
metrics) the outcome it decided, and writes one canonical ``delivery`` line. Adapters only
deliver; none of them binds, times or counts by hand.

Not for: how a bus carries the outcome to the broker (each bus acks, nacks or re-publishes its own
way).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import structlog

from lgsp.bus.base import Delivery, DeliveryObserver, Handler, Outcome, Settled, attempt_of
from lgsp.errors import DeliveryError, RetryLater, Unavailable

__all__ = ["UNAVAILABLE_BACKOFF", "run_handler"]

UNAVAILABLE_BACKOFF = 1.0
"""Seconds a delivery waits when a dependency (the journal) was down while handling it."""

log = structlog.get_logger("lgsp.delivery")


async def run_handler(
    delivery: Delivery,
    handler: Handler,
    park: Callable[[Delivery, str], Awaitable[None]],
    delay: Callable[[Delivery, float, str], Awaitable[None]],
    *,
    axis: str = "",
    observer: DeliveryObserver | None = None,
) -> Outcome:
    """Run ``handler`` in the delivery's scope and decide the outcome: the one policy both buses
    share.

    ``RetryLater`` (the adapters' retry policy decided) sends the message to a delay queue; so
    does ``Unavailable`` (the journal or a broker call is down: try again in a moment rather than
    spin through the queue's delivery limit); any other ``DeliveryError`` parks it with its
    reason; anything else is unexpected and the message goes back to the queue (the queue's
    delivery limit stops poison loops).
    """
    started = time.perf_counter()
    with structlog.contextvars.bound_contextvars(
        message_id=delivery.message_id,
        axis=axis or delivery.routing_key,
        type=delivery.type,
        attempt=attempt_of(delivery),
    ):
        settled, reason = await _settle(delivery, handler, park, delay)
        seconds = time.perf_counter() - started
        if observer is not None:
            observer.delivery_settled(axis, settled, seconds)
        line = log.warning if settled is Settled.REQUEUED else log.info
        line(
            "delivery",
            outcome=settled.value,
            duration_ms=round(seconds * 1000, 2),
            redelivered=delivery.redelivered,
            **({"reason": reason} if reason else {}),
        )
    return Outcome.REQUEUE if settled is Settled.REQUEUED else Outcome.ACK


async def _settle(
    delivery: Delivery,
    handler: Handler,
    park: Callable[[Delivery, str], Awaitable[None]],
    delay: Callable[[Delivery, float, str], Awaitable[None]],
) -> tuple[Settled, str | None]:
    try:
        await handler(delivery)
    except (RetryLater, Unavailable) as exc:
        seconds = exc.delay if isinstance(exc, RetryLater) else UNAVAILABLE_BACKOFF
        try:
            await delay(delivery, seconds, str(exc))
        except Exception as delay_exc:
            log.error("delay_failed", error=str(delay_exc))
            return Settled.REQUEUED, f"delay failed: {delay_exc}"
        if isinstance(exc, Unavailable):
            log.warning("dependency_unavailable", error=str(exc))
        return Settled.RETRY, str(exc)
    except DeliveryError as exc:
        try:
            await park(delivery, exc.reason)
        except Exception as park_exc:
            log.error("park_failed", error=str(park_exc))
            return Settled.REQUEUED, f"park failed: {park_exc}"
        return Settled.PARKED, exc.reason
    except Exception as exc:
        log.exception("handler_failed", error=str(exc))
        return Settled.REQUEUED, f"unexpected: {type(exc).__name__}"
    return Settled.HANDLED, None
