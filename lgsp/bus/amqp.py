"""What the RabbitMQ modules share about aio-pika: the errors that mean "the broker failed", and a
delivery read into lgsp's ``Delivery``.

Not for: connecting, declaring, publishing or consuming (``lgsp.bus.rabbit``,
``lgsp.bus.rabbit_requests``).
"""

from __future__ import annotations

from typing import Any

import aio_pika
import aiormq
from aio_pika.abc import AbstractIncomingMessage

from lgsp.bus.base import Delivery

__all__ = ["BROKER_ERRORS", "delivery_of"]

BROKER_ERRORS = (
    aiormq.exceptions.AMQPError,
    aio_pika.exceptions.ChannelInvalidStateError,
    ConnectionError,
    OSError,
    TimeoutError,
    RuntimeError,  # aio-pika raises it for a channel used while its connection is re-opening
)


def delivery_of(incoming: AbstractIncomingMessage) -> Delivery:
    headers: dict[str, Any] = dict(incoming.headers or {})
    count = headers.get("x-delivery-count", 0)
    return Delivery(
        message_id=incoming.message_id or "",
        routing_key=incoming.routing_key or "",
        body=incoming.body,
        type=incoming.type or "",
        headers=headers,
        correlation_id=incoming.correlation_id,
        content_type=incoming.content_type or "application/octet-stream",
        redelivered=bool(incoming.redelivered),
        delivery_count=int(count) if isinstance(count, int) else 0,
        timestamp=incoming.timestamp,
        reply_to=incoming.reply_to,
    )
