"""The embedded in-process bus: the topology of ``RabbitBus`` without a broker.

For ``lgsp demo`` and fast unit tests. It routes like the real topology (axis work queues, the
alternate exchange for the unroutable, dead letters), settles like it (ack, requeue up to the
delivery limit, then dead letter) and runs handlers concurrently up to the prefetch. It keeps
nothing across a restart: durability is RabbitMQ's job.

Requests (lookups) wait in a request queue per axis, apart from the work; expired ones are dropped
from the head of the queue as RabbitMQ drops them. Each bus instance has its own reply queue, so
several instances sharing one ``MemoryBroker`` (two gateways and an adapter, in a test) each get
only their own replies.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime

import structlog

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
from lgsp.bus.replies import PendingReplies, as_request, expired, serve_one
from lgsp.bus.scope import run_handler
from lgsp.bus.topology import Topology
from lgsp.errors import BrokerUnavailable
from lgsp.ids import new_message_id

__all__ = ["MemoryBroker", "MemoryBus"]

log = structlog.get_logger(__name__)

_Settle = Callable[[Delivery], Awaitable[Outcome]]
"""One delivery run in its scope (``lgsp.bus.scope.run_handler``), to its outcome."""


class _Queue:
    def __init__(self, name: str) -> None:
        self.name = name
        self.ready: deque[Delivery] = deque()
        self.available = asyncio.Event()

    def put(self, delivery: Delivery) -> None:
        self.ready.append(delivery)
        self.available.set()


class MemoryBroker:
    """What ``MemoryBus`` instances playing several processes on one broker share: the queues,
    and the reply queue of each instance (its name to what takes its replies)."""

    def __init__(self) -> None:
        self.queues: dict[str, _Queue] = {}
        self.reply_queues: dict[str, Callable[[Delivery], None]] = {}


class MemoryBus:
    """In-process ``Bus``; pass one ``broker`` to several to have them share their queues."""

    def __init__(
        self, topology: Topology, *, prefetch: int = 100, broker: MemoryBroker | None = None
    ) -> None:
        self.topology = topology
        self._prefetch = prefetch
        self._broker = broker or MemoryBroker()
        self._queues = self._broker.queues
        self._reply_queue = topology.reply_queue(uuid.uuid4().hex)
        self._pending = PendingReplies()
        self._tasks: set[asyncio.Task[None]] = set()
        self._timers: set[asyncio.TimerHandle] = set()
        self._consumers: set[asyncio.Task[None]] = set()
        self._started = False
        self.available = True
        """Tests switch this off to play a broker outage."""

    async def start(self) -> None:
        t = self.topology
        for name in (
            *map(t.work_queue, t.axes),
            *map(t.request_queue, t.axes),
            t.unroutable_queue,
            t.dead_queue,
        ):
            self._queues.setdefault(name, _Queue(name))
        self._broker.reply_queues[self._reply_queue] = self._on_reply
        self._started = True

    async def close(self) -> None:
        self._broker.reply_queues.pop(self._reply_queue, None)
        self._pending.fail_all(BrokerUnavailable("the bus closed before the reply came"))
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        self._started = False

    def is_connected(self) -> bool:
        return self._started and self.available

    async def publish(self, message: OutgoingMessage) -> None:
        self._check()
        axis = self.topology.axis_for(message.routing_key)
        queue = self.topology.work_queue(axis) if axis else self.topology.unroutable_queue
        self._queues[queue].put(_delivery(message))

    async def park(self, delivery: Delivery, reason: str) -> None:
        self._check()
        parked = delivery.as_outgoing(
            headers={PARK_REASON_HEADER: reason, PARKED_AT_HEADER: datetime.now(UTC).isoformat()}
        )
        self._queues[self.topology.dead_queue].put(_delivery(parked))

    async def delay(self, delivery: Delivery, seconds: float, reason: str) -> None:
        self._check()
        again = _delivery(
            delivery.as_outgoing(
                headers={ATTEMPT_HEADER: attempt_of(delivery) + 1, RETRY_REASON_HEADER: reason}
            )
        )
        handle = asyncio.get_running_loop().call_later(seconds, self._return, again)
        self._timers.add(handle)

    def _return(self, delivery: Delivery) -> None:
        axis = self.topology.axis_for(delivery.routing_key)
        queue = self.topology.work_queue(axis) if axis else self.topology.unroutable_queue
        if queue in self._queues:
            self._queues[queue].put(delivery)

    async def consume(
        self, axis: str, handler: Handler, *, observer: DeliveryObserver | None = None
    ) -> None:
        await self._start_consumer(self.topology.work_queue(axis), handler, axis, observer)

    async def consume_dead_letters(self, handler: Handler) -> None:
        await self._start_consumer(self.topology.dead_queue, handler, "dead-letters", None)

    async def _start_consumer(
        self, name: str, handler: Handler, axis: str, observer: DeliveryObserver | None
    ) -> None:
        async def settle(delivery: Delivery) -> Outcome:
            return await run_handler(
                delivery, handler, self.park, self.delay, axis=axis, observer=observer
            )

        self._start_task(name, settle)

    def _start_task(self, name: str, settle: _Settle) -> None:
        self._check()
        queue = self._queues[name]
        task = asyncio.create_task(self._consume(queue, settle), name=f"memory-consumer-{name}")
        self._tasks.add(task)
        self._consumers.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(self._consumers.discard)

    @property
    def pending_requests(self) -> int:
        """How many requests this bus waits on a reply for now."""
        return len(self._pending)

    async def request(self, message: OutgoingMessage, within: float) -> Reply:
        self._check()
        axis = self.topology.axis_for(message.routing_key)
        if axis is None:
            raise BrokerUnavailable(f"no request queue takes {message.routing_key!r}")
        request = as_request(message, within, self._reply_queue)
        queue = self._queues[self.topology.request_queue(axis)]

        async def send(_expiration: float) -> None:
            self._check()
            # Expired requests leave from the head of the queue, as RabbitMQ drops them; the
            # deadline header is the expiration here.
            while queue.ready and expired(queue.ready[0]):
                queue.ready.popleft()
            queue.put(_delivery(request))

        return await self._pending.wait(request, within, send)

    async def serve_requests(self, axis: str, handler: RequestHandler) -> None:
        async def serve(delivery: Delivery) -> None:
            reply = await serve_one(delivery, handler)
            if reply is not None:
                self._send_reply(delivery, reply)

        async def settle(delivery: Delivery) -> Outcome:
            # serve_one replies FAILED for whatever the handler raises; a request is never
            # handed out twice (its requester has stopped waiting by then).
            try:
                await serve(delivery)
            except Exception as exc:
                log.exception("request_not_served", message_id=delivery.message_id, error=str(exc))
            return Outcome.ACK

        self._start_task(self.topology.request_queue(axis), settle)

    def _send_reply(self, request: Delivery, reply: Reply) -> None:
        correlation_id = request.correlation_id or request.message_id
        if not self.is_connected():
            log.warning("reply_not_sent", correlation_id=correlation_id, error="bus down")
            return
        take = self._broker.reply_queues.get(request.reply_to or "")
        if take is None:
            # The requester is gone (closed, or the request had no reply_to): as a reply to a
            # deleted queue on RabbitMQ, it is dropped.
            log.info("reply_queue_gone", correlation_id=correlation_id, reply_to=request.reply_to)
            return
        take(
            Delivery(
                message_id=new_message_id(),
                routing_key=request.reply_to or "",
                body=reply.to_bytes(),
                type=f"{request.type}.reply",
                headers={},
                correlation_id=correlation_id,
                content_type="application/json",
                redelivered=False,
                delivery_count=0,
                timestamp=datetime.now(UTC),
            )
        )

    def _on_reply(self, delivery: Delivery) -> None:
        self._pending.resolve(delivery.correlation_id, Reply.from_bytes(delivery.body))

    async def stop_consuming(self, grace: float) -> None:
        for consumer in list(self._consumers):
            consumer.cancel()
        await asyncio.gather(*self._consumers, return_exceptions=True)
        in_hand = [t for t in self._tasks if not t.done()]
        if in_hand:
            await asyncio.wait(in_hand, timeout=grace)

    def messages(self, queue: str) -> list[Delivery]:
        """What waits in ``queue`` now (dead letters, the unroutable), oldest first."""
        return list(self._queues[queue].ready)

    def _check(self) -> None:
        if not self.is_connected():
            raise BrokerUnavailable("the embedded bus is not running")

    async def _consume(self, queue: _Queue, settle: _Settle) -> None:
        slots = asyncio.Semaphore(self._prefetch)
        while True:
            while not queue.ready:
                queue.available.clear()
                await queue.available.wait()
            delivery = queue.ready.popleft()
            await slots.acquire()
            task = asyncio.create_task(self._handle(queue, delivery, settle, slots))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _handle(
        self, queue: _Queue, delivery: Delivery, settle: _Settle, slots: asyncio.Semaphore
    ) -> None:
        try:
            outcome = await settle(delivery)
        finally:
            slots.release()
        if outcome is Outcome.REQUEUE:
            again = replace(delivery, redelivered=True, delivery_count=delivery.delivery_count + 1)
            # As RabbitMQ counts it: the limit is how many redeliveries a message gets.
            if again.delivery_count > self.topology.delivery_limit:
                log.warning("delivery_limit_reached", message_id=delivery.message_id)
                await self.park(again, "delivery limit reached")
            else:
                # Give other work (and a recovering dependency) a moment before the retry.
                await asyncio.sleep(0.05)
                queue.put(again)


def _delivery(message: OutgoingMessage) -> Delivery:
    return Delivery(
        message_id=message.message_id,
        routing_key=message.routing_key,
        body=message.body,
        type=message.type,
        headers=dict(message.headers),
        correlation_id=message.correlation_id,
        content_type=message.content_type,
        redelivered=False,
        delivery_count=0,
        timestamp=message.timestamp,
        reply_to=message.reply_to,
    )
