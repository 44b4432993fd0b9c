"""The production bus: RabbitMQ through aio-pika's robust connection.

Publishing: persistent, ``message_id`` always set, ``mandatory``, on one of a few
long-lived confirm-mode channels, and the confirm awaited under a timeout. A return, a nack,
a closed channel or a timeout all become ``BrokerUnavailable``: the gateway answers 503 and
has accepted nothing.

Consuming: one channel per axis with a prefetch; each delivery runs the handler and is settled by
``run_handler``'s outcome. The robust connection reconnects and re-declares the topology and the
consumers after a broker restart, so long-running processes resume on their own.

Request-reply (lookups) runs on the same connection, in ``lgsp.bus.rabbit_requests``.

A cluster: ``url`` may list its nodes, comma-separated
(``amqp://u:p@rabbit-1:5672/v,amqp://u:p@rabbit-2:5672/v,amqp://u:p@rabbit-3:5672/v``; a comma
inside a password is written ``%2C``). The first connection goes to the first node that answers,
in that order; every reconnection attempt after that goes to the next node in turn, so a process
whose node stops carries on through another one (quorum queues keep the messages on the rest).
Options come from the first URL. One URL behaves exactly as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import aio_pika
import structlog
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
)
from pamqp.commands import Basic

from lgsp.bus.amqp import BROKER_ERRORS, delivery_of
from lgsp.bus.base import (
    ATTEMPT_HEADER,
    PARK_REASON_HEADER,
    PARKED_AT_HEADER,
    RETRY_REASON_HEADER,
    Delivery,
    DeliveryObserver,
    Handler,
    Outcome,
    OutgoingMessage,
    Reply,
    RequestHandler,
    attempt_of,
)
from lgsp.bus.nodes import ClusterConnection, broker_urls, redact_url
from lgsp.bus.rabbit_requests import REQUEST_QUEUE_ARGUMENTS, RabbitRequests
from lgsp.bus.scope import run_handler
from lgsp.bus.topology import Topology
from lgsp.errors import BrokerUnavailable

__all__ = ["RabbitBus", "broker_urls", "redact_url"]

log = structlog.get_logger(__name__)


class RabbitBus:
    """``Bus`` on RabbitMQ; ``url`` is one broker or a comma-separated list of a cluster's nodes
    (see the module docstring)."""

    def __init__(
        self,
        url: str,
        topology: Topology,
        *,
        publish_timeout: float = 5.0,
        connect_timeout: float = 10.0,
        prefetch: int = 100,
        publisher_channels: int = 4,
    ) -> None:
        self._url = url
        self._urls = broker_urls(url)
        self.topology = topology
        self._publish_timeout = publish_timeout
        self._connect_timeout = connect_timeout
        self._prefetch = prefetch
        self._publisher_count = publisher_channels
        self._connection: AbstractRobustConnection | None = None
        self._exchanges: list[AbstractExchange] = []
        self._dead: AbstractExchange | None = None
        self._delays: dict[float, AbstractExchange] = {}
        self._round_robin: itertools.cycle[AbstractExchange] | None = None
        self._consumer_channels: list[AbstractChannel] = []
        self._consumers: list[tuple[AbstractQueue, str]] = []
        self._in_hand = 0
        self._handling: dict[str, asyncio.Future[None]] = {}
        self._idle = asyncio.Event()
        self._idle.set()
        self._topology_channel: AbstractChannel | None = None
        self._rpc = RabbitRequests(
            topology, self._publish, prefetch=prefetch, in_hand=self._one_in_hand
        )

    async def start(self) -> None:
        try:
            self._connection = await self._connect()
            self._connection.close_callbacks.add(self._on_connection_lost)
            self._connection.reconnect_callbacks.add(self._on_reconnected)
            # Kept open: a robust channel re-declares what it declared after a reconnect, so a
            # broker that lost its definitions gets the topology back.
            self._topology_channel = await self._connection.channel()
            await self._declare(self._topology_channel)
            for _ in range(self._publisher_count):
                channel = await self._connection.channel(
                    publisher_confirms=True, on_return_raises=True
                )
                self._exchanges.append(
                    await channel.get_exchange(self.topology.messages_exchange, ensure=False)
                )
            self._dead = await channel.get_exchange(self.topology.dead_exchange, ensure=False)
            for step in set(self.topology.delay_steps):
                name = self.topology.delay_exchange(step)
                self._delays[step] = await channel.get_exchange(name, ensure=False)
            self._round_robin = itertools.cycle(self._exchanges)
            await self._rpc.open(self._connection)
        except (*BROKER_ERRORS, asyncio.CancelledError) as exc:
            if isinstance(exc, asyncio.CancelledError) and self._connection is None:
                raise
            await self.close()
            raise BrokerUnavailable(
                f"cannot reach the broker at {redact_url(self._url)}: {exc or type(exc).__name__}"
            ) from exc

    async def _connect(self) -> AbstractRobustConnection:
        if len(self._urls) == 1:
            return await aio_pika.connect_robust(
                self._url,
                timeout=self._connect_timeout,
                reconnect_interval=1,
                client_properties={"connection_name": "lgsp"},
            )
        for first, url in enumerate(self._urls[:-1]):
            try:
                return await self._connect_cluster(first)
            except BROKER_ERRORS as exc:
                log.warning("broker_node_unreachable", broker=redact_url(url), error=str(exc))
        return await self._connect_cluster(len(self._urls) - 1)

    async def _connect_cluster(self, first: int) -> AbstractRobustConnection:
        connection = ClusterConnection(
            self._urls, first, reconnect_interval=1, client_properties={"connection_name": "lgsp"}
        )
        try:
            await connection.connect(timeout=self._connect_timeout)
        except BaseException:
            await connection.close()
            raise
        return connection

    def _broker(self) -> str:
        """The node this process is (or was last) connected to, password hidden."""
        # aio-pika's connection prints as the URL it is on, password already masked.
        return redact_url(str(self._connection) if self._connection else self._url)

    def _on_connection_lost(self, _sender: object, exc: BaseException | None = None) -> None:
        if self._connection is not None:  # not our own close()
            log.warning("broker_connection_lost", broker=self._broker(), error=str(exc))

    def _on_reconnected(self, _sender: object) -> None:
        log.info("broker_reconnected", broker=self._broker())

    async def _declare(self, channel: aio_pika.abc.AbstractChannel) -> None:
        t = self.topology
        unroutable = await channel.declare_exchange(
            t.unroutable_exchange, aio_pika.ExchangeType.FANOUT, durable=True
        )
        dead = await channel.declare_exchange(
            t.dead_exchange, aio_pika.ExchangeType.TOPIC, durable=True
        )
        messages = await channel.declare_exchange(
            t.messages_exchange,
            aio_pika.ExchangeType.TOPIC,
            durable=True,
            arguments={"alternate-exchange": t.unroutable_exchange},
        )
        quorum: dict[str, Any] = {"x-queue-type": "quorum"}
        unroutable_q = await channel.declare_queue(
            t.unroutable_queue, durable=True, arguments=quorum
        )
        await unroutable_q.bind(unroutable)
        dead_q = await channel.declare_queue(t.dead_queue, durable=True, arguments=quorum)
        await dead_q.bind(dead, "#")
        for step in sorted(set(t.delay_steps)):
            # Delayed messages wait here with their own TTL, then dead-letter (at least once)
            # back into the messages exchange with the routing key they came with.
            delay_exchange = await channel.declare_exchange(
                t.delay_exchange(step), aio_pika.ExchangeType.FANOUT, durable=True
            )
            delay_queue = await channel.declare_queue(
                t.delay_queue(step),
                durable=True,
                arguments={
                    "x-queue-type": "quorum",
                    "x-dead-letter-exchange": t.messages_exchange,
                    "x-dead-letter-strategy": "at-least-once",
                    "x-overflow": "reject-publish",
                },
            )
            await delay_queue.bind(delay_exchange)
        for axis in t.axes:
            queue = await channel.declare_queue(
                t.work_queue(axis), durable=True, arguments=self._work_queue_arguments()
            )
            await queue.bind(messages, t.binding(axis))
        requests = await channel.declare_exchange(
            t.requests_exchange, aio_pika.ExchangeType.TOPIC, durable=True
        )
        for axis in t.axes:
            queue = await channel.declare_queue(
                t.request_queue(axis), durable=True, arguments=REQUEST_QUEUE_ARGUMENTS
            )
            await queue.bind(requests, t.binding(axis))

    def _work_queue_arguments(self) -> dict[str, Any]:
        return {
            "x-queue-type": "quorum",
            "x-delivery-limit": self.topology.delivery_limit,
            "x-dead-letter-exchange": self.topology.dead_exchange,
            # At-least-once dead-lettering: a poison message is never dropped on the way.
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
        }

    async def close(self) -> None:
        await self._rpc.close()
        connection, self._connection = self._connection, None
        self._exchanges.clear()
        self._consumer_channels.clear()
        self._topology_channel = None
        self._round_robin = None
        if connection is not None:
            try:
                await connection.close()
            except BROKER_ERRORS as exc:
                log.debug("broker_close_failed", error=str(exc))

    def is_connected(self) -> bool:
        return (
            self._connection is not None
            and not self._connection.is_closed
            and bool(self._connection.connected.is_set())
        )

    async def publish(self, message: OutgoingMessage) -> None:
        if self._round_robin is None:
            raise BrokerUnavailable("the bus is not started")
        await self._publish(next(self._round_robin), message)

    async def park(self, delivery: Delivery, reason: str) -> None:
        if self._dead is None:
            raise BrokerUnavailable("the bus is not started")
        parked = delivery.as_outgoing(
            headers={PARK_REASON_HEADER: reason, PARKED_AT_HEADER: datetime.now(UTC).isoformat()}
        )
        await self._publish(self._dead, parked)

    async def delay(self, delivery: Delivery, seconds: float, reason: str) -> None:
        if self._round_robin is None:
            raise BrokerUnavailable("the bus is not started")
        exchange = self._delays[self.topology.delay_step(seconds)]
        again = delivery.as_outgoing(
            headers={ATTEMPT_HEADER: attempt_of(delivery) + 1, RETRY_REASON_HEADER: reason[:500]}
        )
        await self._publish(exchange, again, expiration=max(seconds, 0.001))

    async def _publish(
        self,
        exchange: AbstractExchange,
        message: OutgoingMessage,
        *,
        expiration: float | None = None,
        persistent: bool = True,
    ) -> None:
        if not self.is_connected():
            raise BrokerUnavailable("the broker connection is down")
        amqp = aio_pika.Message(
            message.body,
            message_id=message.message_id,
            type=message.type,
            headers=dict(message.headers),
            correlation_id=message.correlation_id,
            reply_to=message.reply_to,
            content_type=message.content_type,
            timestamp=message.timestamp,
            delivery_mode=(
                aio_pika.DeliveryMode.PERSISTENT
                if persistent
                else aio_pika.DeliveryMode.NOT_PERSISTENT
            ),
            expiration=expiration,
        )
        try:
            async with asyncio.timeout(self._publish_timeout):
                confirm = await exchange.publish(amqp, message.routing_key, mandatory=True)
        except BROKER_ERRORS as exc:
            raise BrokerUnavailable(
                f"the broker did not take message {message.message_id}: {exc or type(exc).__name__}"
            ) from exc
        if not isinstance(confirm, Basic.Ack):
            raise BrokerUnavailable(f"the broker refused message {message.message_id}: {confirm}")

    async def consume(
        self, axis: str, handler: Handler, *, observer: DeliveryObserver | None = None
    ) -> None:
        queue, arguments = self.topology.work_queue(axis), self._work_queue_arguments()
        await self._consume(queue, arguments, handler, axis, observer)

    async def consume_dead_letters(self, handler: Handler) -> None:
        arguments: dict[str, Any] = {"x-queue-type": "quorum"}
        await self._consume(self.topology.dead_queue, arguments, handler, "dead-letters", None)

    async def _consume(
        self,
        name: str,
        arguments: dict[str, Any],
        handler: Handler,
        axis: str,
        observer: DeliveryObserver | None,
    ) -> None:
        if self._connection is None:
            raise BrokerUnavailable("the bus is not started")
        channel = await self._connection.channel()
        await channel.set_qos(prefetch_count=self._prefetch)
        # Declared (not just looked up) on this robust channel, so that after a reconnect the
        # channel restores the queue and this consumer on it.
        queue = await channel.declare_queue(name, durable=True, arguments=arguments)
        self._consumer_channels.append(channel)

        async def on_message(incoming: AbstractIncomingMessage) -> None:
            # A closing channel cancels its consumers' tasks; the handling itself runs in a
            # task of its own, shielded, so that a delivery the recipient already answered is
            # still recorded. A redelivery of a message still in hand waits for that first
            # handling, whose record then tells it the recipient has the message.
            message_id = incoming.message_id or ""
            earlier = self._handling.get(message_id)
            if earlier is not None:
                await asyncio.shield(earlier)
            task = asyncio.ensure_future(settle(incoming))
            self._handling[message_id] = task
            task.add_done_callback(lambda done: self._forget(message_id, done))
            await asyncio.shield(task)

        async def settle(incoming: AbstractIncomingMessage) -> None:
            with self._one_in_hand():
                await settle_once(incoming)

        async def settle_once(incoming: AbstractIncomingMessage) -> None:
            outcome = await run_handler(
                delivery_of(incoming), handler, self.park, self.delay, axis=axis, observer=observer
            )
            try:
                if outcome is Outcome.ACK:
                    await incoming.ack()
                else:
                    await incoming.nack(requeue=True)
            except BROKER_ERRORS as exc:
                # The channel died under us: the broker hands the message out again; the
                # adapters' de-duplication by message id keeps that harmless.
                log.warning("settle_failed", message_id=incoming.message_id, error=str(exc))

        tag = await queue.consume(on_message)
        self._consumers.append((queue, tag))

    @property
    def pending_requests(self) -> int:
        """How many requests this bus waits on a reply for now."""
        return self._rpc.pending

    async def request(self, message: OutgoingMessage, within: float) -> Reply:
        return await self._rpc.request(message, within)

    async def serve_requests(self, axis: str, handler: RequestHandler) -> None:
        if self._connection is None:
            raise BrokerUnavailable("the bus is not started")
        channel, queue, tag = await self._rpc.serve(self._connection, axis, handler)
        self._consumer_channels.append(channel)
        self._consumers.append((queue, tag))

    @contextlib.contextmanager
    def _one_in_hand(self) -> Iterator[None]:
        """A delivery (or a request) in hand, which ``stop_consuming`` waits for."""
        self._in_hand += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._in_hand -= 1
            if self._in_hand == 0:
                self._idle.set()

    def _forget(self, message_id: str, done: asyncio.Future[None]) -> None:
        if self._handling.get(message_id) is done:
            del self._handling[message_id]

    async def stop_consuming(self, grace: float) -> None:
        consumers, self._consumers = self._consumers, []
        for queue, tag in consumers:
            try:
                await queue.cancel(tag)
            except BROKER_ERRORS as exc:
                log.debug("cancel_failed", queue=queue.name, error=str(exc))
        try:
            async with asyncio.timeout(grace):
                await self._idle.wait()
        except TimeoutError:
            log.warning("shutdown_with_work_in_hand", deliveries=self._in_hand)
