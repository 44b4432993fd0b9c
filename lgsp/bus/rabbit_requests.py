"""Request-reply on RabbitMQ, for one ``RabbitBus``: its reply queue, its requests out, its answers.

Each bus instance (each process) declares its own reply queue, ``<prefix>.replies.<instance>``:
exclusive and classic, on a robust channel, so it goes with its process and comes back (consumed
again) after a reconnect. A request is published, confirmed and with its remaining time as its
expiration, through the requests exchange to its axis's request queue; the answering side replies
through the default exchange to the request's ``reply_to``, with its correlation id. No Direct
Reply-To: a reply there is lost whenever the requester's channel blinks.

Not for: the connection, the topology's declaration or publishing itself (``lgsp.bus.rabbit``), or
what both buses share about requests (``lgsp.bus.replies``).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any, Protocol

import aiormq
import structlog
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
)

from lgsp.bus.amqp import BROKER_ERRORS, delivery_of
from lgsp.bus.base import Delivery, OutgoingMessage, Reply, RequestHandler
from lgsp.bus.replies import PendingReplies, as_request, serve_one
from lgsp.bus.topology import Topology
from lgsp.errors import BrokerUnavailable
from lgsp.ids import new_message_id

__all__ = ["REQUEST_QUEUE_ARGUMENTS", "RabbitRequests"]

log = structlog.get_logger(__name__)

REQUEST_QUEUE_ARGUMENTS: dict[str, Any] = {"x-queue-type": "quorum"}
"""No dead-lettering and no delivery limit: every request expires with its deadline, and one
nobody could answer in time is of no use to anyone."""


class Publish(Protocol):
    """``RabbitBus``'s confirmed publish."""

    async def __call__(
        self,
        exchange: AbstractExchange,
        message: OutgoingMessage,
        *,
        expiration: float | None = None,
        persistent: bool = True,
    ) -> None: ...


class RabbitRequests:
    """Request-reply on one bus's connection; ``in_hand`` counts a request being answered as a
    delivery in hand, so that a graceful stop waits for it."""

    def __init__(
        self,
        topology: Topology,
        publish: Publish,
        *,
        prefetch: int,
        in_hand: Callable[[], AbstractContextManager[None]],
    ) -> None:
        self.topology = topology
        self._publish = publish
        self._prefetch = prefetch
        self._in_hand = in_hand
        self._reply_queue = topology.reply_queue(uuid.uuid4().hex)
        self._pending = PendingReplies()
        self._requests: AbstractExchange | None = None
        self._replies: AbstractExchange | None = None
        """The default exchange, on a confirm channel: replies go straight to a reply queue."""
        self._answering: set[asyncio.Task[None]] = set()

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def open(self, connection: AbstractRobustConnection) -> None:
        """The confirm channel requests and replies go out on, and the reply queue, consumed."""
        outgoing = await connection.channel(publisher_confirms=True, on_return_raises=True)
        self._requests = await outgoing.get_exchange(self.topology.requests_exchange, ensure=False)
        self._replies = outgoing.default_exchange
        incoming = await connection.channel()
        queue = await incoming.declare_queue(
            self._reply_queue,
            durable=False,
            exclusive=True,
            auto_delete=True,
            arguments={"x-queue-type": "classic"},
        )
        await queue.consume(self._on_reply, no_ack=True)

    async def close(self) -> None:
        """End every wait (no reply can come now) and stop answering; call before the
        connection closes. Requests still being answered go back to their queue with the
        channel, for another process to answer if their requester still waits."""
        self._pending.fail_all(BrokerUnavailable("the bus closed before the reply came"))
        answering = list(self._answering)
        for task in answering:
            task.cancel()
        await asyncio.gather(*answering, return_exceptions=True)
        self._requests = self._replies = None

    async def request(self, message: OutgoingMessage, within: float) -> Reply:
        exchange = self._requests
        if exchange is None:
            raise BrokerUnavailable("the bus is not started")
        request = as_request(message, within, self._reply_queue)

        async def send(expiration: float) -> None:
            # The remaining time as expiration: a request nobody took in time vanishes from
            # its queue instead of being answered for nobody.
            await self._publish(exchange, request, expiration=expiration)

        return await self._pending.wait(request, within, send)

    async def _on_reply(self, incoming: AbstractIncomingMessage) -> None:
        self._pending.resolve(incoming.correlation_id, Reply.from_bytes(incoming.body))

    async def serve(
        self, connection: AbstractRobustConnection, axis: str, handler: RequestHandler
    ) -> tuple[AbstractChannel, AbstractQueue, str]:
        """Start answering the axis's requests; the channel, queue and consumer tag, for the bus
        to stop and close them with its other consumers."""
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=self._prefetch)
        # Declared on this robust channel, which restores it and this consumer after a reconnect.
        queue = await channel.declare_queue(
            self.topology.request_queue(axis), durable=True, arguments=REQUEST_QUEUE_ARGUMENTS
        )

        async def on_message(incoming: AbstractIncomingMessage) -> None:
            # In a task of its own, shielded from the consumer's cancellation (as deliveries
            # are); ``close`` cancels it when nobody can be answered any more.
            task = asyncio.ensure_future(self._answer(incoming, handler))
            self._answering.add(task)
            task.add_done_callback(self._answering.discard)
            await asyncio.shield(task)

        tag = await queue.consume(on_message)
        return channel, queue, tag

    async def _answer(self, incoming: AbstractIncomingMessage, handler: RequestHandler) -> None:
        with self._in_hand():
            request = delivery_of(incoming)
            reply = await serve_one(request, handler)
            if reply is not None:
                await self._send_reply(request, reply)
            # Acknowledged once answered (or found expired), not before: a process that dies
            # while answering leaves the request to another one.
            try:
                await incoming.ack()
            except BROKER_ERRORS as exc:
                log.debug("settle_failed", message_id=incoming.message_id, error=str(exc))

    async def _send_reply(self, request: Delivery, reply: Reply) -> None:
        correlation_id = request.correlation_id or request.message_id
        if not request.reply_to:
            # Not from ``request``: a foreign publisher, with nowhere to answer.
            log.warning("request_without_reply_to", message_id=request.message_id)
            return
        if self._replies is None:
            log.warning("reply_not_sent", correlation_id=correlation_id, error="bus closed")
            return
        message = OutgoingMessage(
            message_id=new_message_id(),
            routing_key=request.reply_to,
            body=reply.to_bytes(),
            type=f"{request.type}.reply",
            correlation_id=correlation_id,
            timestamp=datetime.now(UTC),
        )
        try:
            # Not persistent: the reply queue is not durable, and the requester waits seconds.
            await self._publish(self._replies, message, persistent=False)
        except BrokerUnavailable as exc:
            if isinstance(exc.__cause__, aiormq.exceptions.PublishError):
                # Returned unroutable: the requester's reply queue is gone with its process.
                log.info("reply_queue_gone", correlation_id=correlation_id)
            else:
                log.warning("reply_not_sent", correlation_id=correlation_id, error=str(exc))
