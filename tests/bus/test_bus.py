"""The ``Bus`` contract, run alike on the embedded bus and on RabbitMQ.

Each test takes a ``harness`` for one kind of bus; the RabbitMQ variants are integration tests on
the run's own vhost. Dead letters and the unroutable are read back through ``MemoryBus.messages``
or, on RabbitMQ, through a separate connection, so the bus under test is judged from outside.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractQueue

from lgsp.bus import (
    PARK_REASON_HEADER,
    Delivery,
    MemoryBus,
    Outcome,
    OutgoingMessage,
    RabbitBus,
    Topology,
)
from lgsp.bus.base import attempt_of
from lgsp.bus.scope import run_handler
from lgsp.errors import (
    BrokerUnavailable,
    DeliveryError,
    PermanentDeliveryError,
    RetryLater,
    TransientDeliveryError,
)

AnyBus = MemoryBus | RabbitBus

MEMORY = pytest.param("memory", id="memory")
RABBITMQ = pytest.param("rabbitmq", id="rabbitmq", marks=pytest.mark.integration)
TIMEOUT = 10.0
"""Upper bound on any wait: generous, since every wait ends as soon as its condition holds."""


@dataclass(frozen=True)
class Seen:
    """A message read back from a queue (dead letters, the unroutable), from either bus."""

    message_id: str
    routing_key: str
    headers: dict[str, Any]
    body: bytes


class BusHarness:
    """Builds buses of one kind with unique names, reads their queues, closes all at the end."""

    def __init__(self, kind: str, rabbit_url: str) -> None:
        self.kind = kind
        self.rabbit_url = rabbit_url
        self._buses: list[AnyBus] = []
        self._reader: AbstractConnection | None = None
        self._channel: AbstractChannel | None = None
        self._queues: dict[str, AbstractQueue] = {}
        self._taken: dict[str, list[Seen]] = {}

    def create(self, *, prefetch: int = 10, delivery_limit: int = 3) -> AnyBus:
        topology = Topology(
            prefix=f"t{secrets.token_hex(4)}", delivery_limit=delivery_limit, delay_steps=(0.2,)
        )
        bus: AnyBus
        if self.kind == "memory":
            bus = MemoryBus(topology, prefetch=prefetch)
        else:
            bus = RabbitBus(
                self.rabbit_url,
                topology,
                prefetch=prefetch,
                publish_timeout=5.0,
                connect_timeout=5.0,
            )
        self._buses.append(bus)
        return bus

    async def started(self, *, prefetch: int = 10, delivery_limit: int = 3) -> AnyBus:
        bus = self.create(prefetch=prefetch, delivery_limit=delivery_limit)
        await bus.start()
        return bus

    async def channel(self) -> AbstractChannel:
        """A channel on a connection of the test's own (RabbitMQ only)."""
        if self._channel is None:
            self._reader = await aio_pika.connect(self.rabbit_url)
            self._channel = await self._reader.channel()
        return self._channel

    async def queue(self, name: str) -> AbstractQueue:
        if name not in self._queues:
            channel = await self.channel()
            self._queues[name] = await channel.declare_queue(name, passive=True)
        return self._queues[name]

    async def contents(self, bus: AnyBus, queue: str) -> list[Seen]:
        """Everything that reached ``queue`` so far (on RabbitMQ, taken off the queue)."""
        if isinstance(bus, MemoryBus):
            return [
                Seen(d.message_id, d.routing_key, dict(d.headers), d.body)
                for d in bus.messages(queue)
            ]
        taken = self._taken.setdefault(queue, [])
        amqp_queue = await self.queue(queue)
        while (message := await amqp_queue.get(no_ack=True, fail=False)) is not None:
            taken.append(
                Seen(
                    message.message_id or "",
                    message.routing_key or "",
                    dict(message.headers or {}),
                    message.body,
                )
            )
        return list(taken)

    async def wait_in_queue(
        self, bus: AnyBus, queue: str, count: int = 1, timeout: float = TIMEOUT
    ) -> list[Seen]:
        async with asyncio.timeout(timeout):
            while len(seen := await self.contents(bus, queue)) < count:
                await asyncio.sleep(0.02)
        return seen

    async def aclose(self) -> None:
        for bus in self._buses:
            await bus.close()
        if self._reader is not None:
            await self._reader.close()


@pytest.fixture(params=[MEMORY, RABBITMQ])
async def harness(request: pytest.FixtureRequest) -> AsyncIterator[BusHarness]:
    kind: str = request.param
    url: str = request.getfixturevalue("rabbit_url") if kind == "rabbitmq" else ""
    h = BusHarness(kind, url)
    try:
        yield h
    finally:
        await h.aclose()


def message(routing_key: str, **overrides: Any) -> OutgoingMessage:
    values: dict[str, Any] = {
        "message_id": f"m-{secrets.token_hex(6)}",
        "routing_key": routing_key,
        "body": b'{"subject": "test"}',
        "type": ".".join(routing_key.split(".")[:2]),  # document.send.<recipient> → type
    }
    values.update(overrides)
    return OutgoingMessage(**values)


class Recorder:
    """A handler that records deliveries and runs an optional behaviour for each."""

    def __init__(self, behaviour: Callable[[Delivery], Awaitable[None]] | None = None) -> None:
        self.deliveries: list[Delivery] = []
        self._behaviour = behaviour
        self._arrived = asyncio.Event()

    async def __call__(self, delivery: Delivery) -> None:
        self.deliveries.append(delivery)
        self._arrived.set()
        if self._behaviour is not None:
            await self._behaviour(delivery)

    async def wait_for(self, count: int, timeout: float = TIMEOUT) -> list[Delivery]:
        async with asyncio.timeout(timeout):
            while len(self.deliveries) < count:
                self._arrived.clear()
                await self._arrived.wait()
        return list(self.deliveries)

    def ids(self) -> list[str]:
        return [d.message_id for d in self.deliveries]


# --------------------------------------------------------------------------------------------
# Lifecycle
# --------------------------------------------------------------------------------------------


async def test_start_and_close(harness: BusHarness) -> None:
    bus = harness.create()
    assert not bus.is_connected()

    await bus.start()
    assert bus.is_connected()
    await bus.publish(message("document.send"))

    await bus.close()
    assert not bus.is_connected()
    with pytest.raises(BrokerUnavailable):
        await bus.publish(message("document.send"))
    await bus.close()  # a second close is harmless


async def test_publish_on_a_bus_not_started_raises(harness: BusHarness) -> None:
    bus = harness.create()

    with pytest.raises(BrokerUnavailable):
        await bus.publish(message("document.send"))


async def test_memory_bus_outage_refuses_publish() -> None:
    bus = MemoryBus(Topology(prefix=f"t{secrets.token_hex(4)}"))
    await bus.start()
    try:
        bus.available = False
        assert not bus.is_connected()
        with pytest.raises(BrokerUnavailable):
            await bus.publish(message("document.send"))
        bus.available = True
        await bus.publish(message("document.send"))
    finally:
        await bus.close()


# --------------------------------------------------------------------------------------------
# Delivery and routing
# --------------------------------------------------------------------------------------------


async def test_message_reaches_consumer_with_every_field(harness: BusHarness) -> None:
    bus = await harness.started()
    handler = Recorder()
    # Whole seconds: AMQP carries timestamps to the second.
    sent_at = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone(timedelta(hours=7)))
    headers = {"x-lgsp-sender": "000.00.00.H41", "x-lgsp-priority": 2, "x-lgsp-urgent": True}
    outgoing = OutgoingMessage(
        message_id="018f3a6e-0000-7000-8000-000000000001",
        routing_key="document.send.000.00.12.H41",
        body=b"<edXML>\x00\xff binary-safe</edXML>",
        type="document.send",
        headers=headers,
        correlation_id="corr-42",
        content_type="application/xml",
        timestamp=sent_at,
    )

    # Published before anyone consumes: the work queue holds it until then.
    await bus.publish(outgoing)
    await bus.consume("document", handler)
    [delivery] = await handler.wait_for(1)

    assert delivery.message_id == outgoing.message_id
    assert delivery.routing_key == outgoing.routing_key
    assert delivery.type == "document.send"
    assert delivery.body == outgoing.body
    assert {k: delivery.headers[k] for k in headers} == headers
    assert delivery.correlation_id == "corr-42"
    assert delivery.content_type == "application/xml"
    assert delivery.timestamp == sent_at
    assert delivery.redelivered is False
    assert delivery.delivery_count == 0


async def test_defaults_survive_the_trip(harness: BusHarness) -> None:
    bus = await harness.started()
    handler = Recorder()
    await bus.consume("national", handler)

    await bus.publish(message("national.citizen_lookup"))
    [delivery] = await handler.wait_for(1)

    assert delivery.correlation_id is None
    assert delivery.content_type == "application/json"
    assert delivery.type == "national.citizen_lookup"


async def test_routing_by_axis(harness: BusHarness) -> None:
    bus = await harness.started()
    handlers = {axis: Recorder() for axis in ("document", "civil_status", "national")}
    for axis, handler in handlers.items():
        await bus.consume(axis, handler)

    sent = {
        "document": [message("document.send"), message("document.status.000.00.12.H41")],
        "civil_status": [message("civil_status.birth")],
        "national": [message("national.citizen_lookup")],
    }
    for outgoing in (m for batch in sent.values() for m in batch):
        await bus.publish(outgoing)

    for axis, handler in handlers.items():
        await handler.wait_for(len(sent[axis]))
    await asyncio.sleep(0.2)  # room for a misrouted copy to show up
    for axis, handler in handlers.items():
        assert sorted(handler.ids()) == sorted(m.message_id for m in sent[axis]), axis


async def test_unroutable_goes_to_the_unroutable_queue(harness: BusHarness) -> None:
    bus = await harness.started()
    handler = Recorder()
    await bus.consume("document", handler)
    nowhere = [message("nothing.here"), message("documents.send")]  # not the document axis

    for outgoing in nowhere:
        await bus.publish(outgoing)  # taken by the alternate exchange: confirmed, no error

    seen = await harness.wait_in_queue(bus, bus.topology.unroutable_queue, len(nowhere))
    assert sorted(s.message_id for s in seen) == sorted(m.message_id for m in nowhere)
    assert {s.routing_key for s in seen} == {"nothing.here", "documents.send"}
    assert handler.deliveries == []


@pytest.mark.integration
async def test_rabbit_publish_raises_when_no_queue_takes_the_message(rabbit_url: str) -> None:
    harness = BusHarness("rabbitmq", rabbit_url)
    try:
        bus = await harness.started()
        unroutable = await harness.queue(bus.topology.unroutable_queue)
        # Quorum queues refuse if_unused / if_empty deletes.
        await unroutable.delete(if_unused=False, if_empty=False)

        with pytest.raises(BrokerUnavailable, match="NO_ROUTE"):
            await bus.publish(message("nothing.here"))

        # The mandatory return broke nothing: every publisher channel still confirms.
        routable = [message("document.send") for _ in range(8)]
        for outgoing in routable:
            await bus.publish(outgoing)
        seen = await harness.wait_in_queue(bus, bus.topology.work_queue("document"), 8)
        assert sorted(s.message_id for s in seen) == sorted(m.message_id for m in routable)
    finally:
        await harness.aclose()


# --------------------------------------------------------------------------------------------
# Settling: ack, park, requeue, delivery limit
# --------------------------------------------------------------------------------------------


async def test_permanent_error_parks_with_reason_and_is_not_redelivered(
    harness: BusHarness,
) -> None:
    bus = await harness.started()

    async def refuse(_: Delivery) -> None:
        raise PermanentDeliveryError("why")

    handler = Recorder(refuse)
    await bus.consume("document", handler)
    outgoing = message("document.send", headers={"x-lgsp-sender": "000.00.00.H41"})

    await bus.publish(outgoing)

    [dead] = await harness.wait_in_queue(bus, bus.topology.dead_queue)
    assert dead.message_id == outgoing.message_id
    assert dead.routing_key == outgoing.routing_key
    assert dead.body == outgoing.body
    assert dead.headers[PARK_REASON_HEADER] == "why"
    assert dead.headers["x-lgsp-sender"] == "000.00.00.H41"
    assert "x-lgsp-parked-at" in dead.headers
    await asyncio.sleep(0.3)  # a redelivery would show up here
    assert handler.ids() == [outgoing.message_id]
    assert len(await harness.contents(bus, bus.topology.dead_queue)) == 1


async def test_unexpected_error_is_redelivered(harness: BusHarness) -> None:
    bus = await harness.started()

    async def fail_once(delivery: Delivery) -> None:
        if delivery.delivery_count == 0:
            raise RuntimeError("a dependency hiccuped")

    handler = Recorder(fail_once)
    await bus.consume("document", handler)
    outgoing = message("document.send")

    await bus.publish(outgoing)

    first, second = await handler.wait_for(2)
    assert (first.message_id, second.message_id) == (outgoing.message_id, outgoing.message_id)
    assert (first.redelivered, first.delivery_count) == (False, 0)
    assert (second.redelivered, second.delivery_count) == (True, 1)
    assert second.body == outgoing.body
    await asyncio.sleep(0.3)
    assert len(handler.deliveries) == 2
    assert await harness.contents(bus, bus.topology.dead_queue) == []


async def test_retry_later_comes_back_through_a_delay_queue(harness: BusHarness) -> None:
    bus = await harness.started()

    async def retry_twice(delivery: Delivery) -> None:
        if attempt_of(delivery) < 2:
            raise RetryLater(f"try {attempt_of(delivery)} failed", delay=0.2)

    handler = Recorder(retry_twice)
    await bus.consume("document", handler)
    outgoing = message("document.send")
    await bus.publish(outgoing)

    deliveries = await handler.wait_for(3)
    assert [attempt_of(d) for d in deliveries] == [0, 1, 2]
    assert {d.message_id for d in deliveries} == {outgoing.message_id}
    assert deliveries[2].headers["x-lgsp-retry-reason"] == "try 1 failed"
    assert deliveries[2].body == outgoing.body
    assert deliveries[2].routing_key == "document.send"
    await asyncio.sleep(0.5)
    assert len(handler.deliveries) == 3
    assert await harness.contents(bus, bus.topology.dead_queue) == []


async def test_unexpected_error_past_the_delivery_limit_ends_in_dead_letters(
    harness: BusHarness,
) -> None:
    limit = 3
    bus = await harness.started(delivery_limit=limit)

    async def always_fail(_: Delivery) -> None:
        raise RuntimeError("poison")

    handler = Recorder(always_fail)
    await bus.consume("document", handler)
    outgoing = message("document.send")

    await bus.publish(outgoing)

    [dead] = await harness.wait_in_queue(bus, bus.topology.dead_queue)
    assert dead.message_id == outgoing.message_id
    assert dead.body == outgoing.body
    if harness.kind == "memory":
        assert dead.headers[PARK_REASON_HEADER] == "delivery limit reached"
    else:  # dead-lettered by the quorum queue itself, through its dead-letter exchange
        assert dead.headers["x-first-death-reason"] == "delivery_limit"
        assert dead.headers["x-first-death-queue"] == bus.topology.work_queue("document")
    counts = [d.delivery_count for d in handler.deliveries]
    assert len(counts) >= limit
    assert counts == list(range(len(counts)))
    assert all(d.redelivered for d in handler.deliveries[1:])
    await asyncio.sleep(0.3)  # nothing more once parked
    assert len(handler.deliveries) == len(counts)


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param(
            "memory",
            id="memory",
        ),
        RABBITMQ,
    ],
)
async def test_delivery_limit_counts_redeliveries_as_rabbitmq_does(
    kind: str, request: pytest.FixtureRequest
) -> None:
    url: str = request.getfixturevalue("rabbit_url") if kind == "rabbitmq" else ""
    harness = BusHarness(kind, url)
    try:
        limit = 3
        bus = await harness.started(delivery_limit=limit)

        async def always_fail(_: Delivery) -> None:
            raise RuntimeError("poison")

        handler = Recorder(always_fail)
        await bus.consume("document", handler)
        await bus.publish(message("document.send"))
        await harness.wait_in_queue(bus, bus.topology.dead_queue)

        # The first delivery plus `limit` redeliveries.
        assert [d.delivery_count for d in handler.deliveries] == list(range(limit + 1))
    finally:
        await harness.aclose()


async def test_park_puts_a_delivery_in_dead_letters(harness: BusHarness) -> None:
    bus = await harness.started()
    handler = Recorder()
    await bus.consume("civil_status", handler)
    await bus.publish(message("civil_status.death", correlation_id="c-9"))
    [delivery] = await handler.wait_for(1)

    await bus.park(delivery, "registry refused the record")

    [dead] = await harness.wait_in_queue(bus, bus.topology.dead_queue)
    assert dead.message_id == delivery.message_id
    assert dead.routing_key == "civil_status.death"
    assert dead.headers[PARK_REASON_HEADER] == "registry refused the record"
    parked_at = datetime.fromisoformat(dead.headers["x-lgsp-parked-at"])
    assert parked_at.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - parked_at) < timedelta(minutes=1)


# --------------------------------------------------------------------------------------------
# Concurrency
# --------------------------------------------------------------------------------------------


async def test_prefetch_bounds_deliveries_in_flight(harness: BusHarness) -> None:
    prefetch, total = 3, 8
    bus = await harness.started(prefetch=prefetch)
    in_flight = peak = handled = 0
    full = asyncio.Event()
    release = asyncio.Event()

    async def hold(_: Delivery) -> None:
        nonlocal in_flight, peak, handled
        in_flight += 1
        peak = max(peak, in_flight)
        if in_flight >= prefetch:
            full.set()
        try:
            async with asyncio.timeout(TIMEOUT):
                await release.wait()
        finally:
            in_flight -= 1
        handled += 1

    for _ in range(total):
        await bus.publish(message("document.send"))
    await bus.consume("document", Recorder(hold))
    try:
        async with asyncio.timeout(TIMEOUT):
            await full.wait()
        await asyncio.sleep(0.3)  # were the prefetch not honoured, more would arrive now
        assert peak == prefetch
    finally:
        release.set()

    async with asyncio.timeout(TIMEOUT):
        while handled < total:
            await asyncio.sleep(0.02)
    assert peak == prefetch


# --------------------------------------------------------------------------------------------
# The settling policy both buses share
# --------------------------------------------------------------------------------------------


def _delivery(**overrides: Any) -> Delivery:
    values: dict[str, Any] = {
        "message_id": "m-1",
        "routing_key": "document.send",
        "body": b"{}",
        "type": "document.send",
        "headers": {"x-lgsp-sender": "000.00.00.H41"},
        "correlation_id": "c-1",
        "content_type": "application/json",
        "redelivered": False,
        "delivery_count": 0,
    }
    values.update(overrides)
    return Delivery(**values)


class Parker:
    def __init__(self, fail: bool = False) -> None:
        self.parked: list[tuple[str, str]] = []
        self._fail = fail

    async def __call__(self, delivery: Delivery, reason: str) -> None:
        if self._fail:
            raise BrokerUnavailable("dead letters unreachable")
        self.parked.append((delivery.message_id, reason))


class Delayer:
    def __init__(self, *, fail: bool = False) -> None:
        self.delayed: list[tuple[str, float, str]] = []
        self._fail = fail

    async def __call__(self, delivery: Delivery, seconds: float, reason: str) -> None:
        if self._fail:
            raise BrokerUnavailable("delay queue unreachable")
        self.delayed.append((delivery.message_id, seconds, reason))


def _raising(exc: BaseException) -> Callable[[Delivery], Awaitable[None]]:
    async def handler(_: Delivery) -> None:
        raise exc

    return handler


async def test_run_handler_acks_what_was_handled() -> None:
    parker = Parker()

    assert await run_handler(_delivery(), Recorder(), parker, Delayer()) is Outcome.ACK
    assert parker.parked == []


@pytest.mark.parametrize(
    "error",
    [
        PermanentDeliveryError("recipient unknown", status_code=404),
        TransientDeliveryError("timed out"),  # the adapters' retry policy owns retries
    ],
)
async def test_run_handler_parks_delivery_errors_and_acks(error: DeliveryError) -> None:
    parker = Parker()

    outcome = await run_handler(_delivery(), _raising(error), parker, Delayer())

    assert outcome is Outcome.ACK
    assert parker.parked == [("m-1", error.reason)]


async def test_run_handler_delays_what_the_retry_policy_retries() -> None:
    parker, delayer = Parker(), Delayer()

    outcome = await run_handler(
        _delivery(), _raising(RetryLater("webhook answered 503", delay=5.0)), parker, delayer
    )

    assert outcome is Outcome.ACK
    assert delayer.delayed == [("m-1", 5.0, "webhook answered 503")]
    assert parker.parked == []


async def test_run_handler_requeues_when_delaying_fails() -> None:
    outcome = await run_handler(
        _delivery(), _raising(RetryLater("x", delay=1.0)), Parker(), Delayer(fail=True)
    )

    assert outcome is Outcome.REQUEUE


async def test_run_handler_requeues_when_parking_fails() -> None:
    outcome = await run_handler(
        _delivery(), _raising(PermanentDeliveryError("why")), Parker(fail=True), Delayer()
    )

    assert outcome is Outcome.REQUEUE  # never acked unless it is safe in dead letters


async def test_run_handler_requeues_unexpected_errors() -> None:
    parker = Parker()

    outcome = await run_handler(_delivery(), _raising(KeyError("bug")), parker, Delayer())

    assert outcome is Outcome.REQUEUE
    assert parker.parked == []


def test_as_outgoing_keeps_the_message_and_adds_headers() -> None:
    delivery = _delivery(timestamp=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC))

    again = delivery.as_outgoing(headers={PARK_REASON_HEADER: "why"})
    moved = delivery.as_outgoing(routing_key="document.send.000.00.12.H41")

    assert again == OutgoingMessage(
        message_id="m-1",
        routing_key="document.send",
        body=b"{}",
        type="document.send",
        headers={"x-lgsp-sender": "000.00.00.H41", PARK_REASON_HEADER: "why"},
        correlation_id="c-1",
        content_type="application/json",
        timestamp=delivery.timestamp,
    )
    assert moved.routing_key == "document.send.000.00.12.H41"
    assert delivery.headers == {"x-lgsp-sender": "000.00.00.H41"}  # the original is untouched


async def test_run_handler_backs_off_when_a_dependency_is_down() -> None:
    from lgsp.bus.scope import UNAVAILABLE_BACKOFF
    from lgsp.errors import JournalUnavailable

    parker, delayer = Parker(), Delayer()
    outcome = await run_handler(
        _delivery(), _raising(JournalUnavailable("journal down")), parker, delayer
    )
    assert outcome is Outcome.ACK
    assert delayer.delayed == [("m-1", UNAVAILABLE_BACKOFF, "journal down")]
    assert parker.parked == []
