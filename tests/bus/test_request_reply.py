"""Request-reply (lookups) on the ``Bus``, run alike on the embedded bus and on RabbitMQ.

Several bus instances on one broker play several processes: gateways that ask, an adapter that
answers. On RabbitMQ they share the run's vhost and a prefix of the test's own; on the embedded bus
they share one ``MemoryBroker``.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import shutil
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aio_pika
import pytest
from structlog.testing import capture_logs

from lgsp.bus import (
    Delivery,
    MemoryBroker,
    MemoryBus,
    OutgoingMessage,
    RabbitBus,
    Reply,
    ReplyOutcome,
    Topology,
)
from lgsp.bus.envelope import DEADLINE_HEADER
from lgsp.errors import BrokerUnavailable, RequestTimeout

AnyBus = MemoryBus | RabbitBus

MEMORY = pytest.param("memory", id="memory")
RABBITMQ = pytest.param("rabbitmq", id="rabbitmq", marks=pytest.mark.integration)
TIMEOUT = 10.0
PERSONAL_ID = "001099012345"  # Hà Nội, 0 = man born 1900–1999, '99


class Broker:
    """Bus instances of one kind on one broker (one topology prefix), all closed at the end."""

    def __init__(self, kind: str, rabbit_url: str) -> None:
        self.kind = kind
        self.rabbit_url = rabbit_url
        self.topology = Topology(prefix=f"t{secrets.token_hex(4)}", delay_steps=(0.2,))
        self._memory = MemoryBroker()
        self._buses: list[AnyBus] = []

    async def bus(self, *, prefetch: int = 10) -> AnyBus:
        """A started bus: another process on the same broker."""
        bus: AnyBus
        if self.kind == "memory":
            bus = MemoryBus(self.topology, prefetch=prefetch, broker=self._memory)
        else:
            bus = RabbitBus(
                self.rabbit_url,
                self.topology,
                prefetch=prefetch,
                publish_timeout=5,
                connect_timeout=5,
            )
        self._buses.append(bus)
        await bus.start()
        return bus

    async def aclose(self) -> None:
        for bus in self._buses:
            await bus.close()
        if self.kind == "rabbitmq":
            await self._drop_topology()

    async def _drop_topology(self) -> None:
        # Quorum queues are costly, and a run makes many.
        t = self.topology
        queues = [t.unroutable_queue, t.dead_queue]
        queues += [q for axis in t.axes for q in (t.work_queue(axis), t.request_queue(axis))]
        queues += [t.delay_queue(step) for step in t.delay_steps]
        exchanges = [t.messages_exchange, t.requests_exchange]
        exchanges += [t.unroutable_exchange, t.dead_exchange]
        exchanges += [t.delay_exchange(step) for step in t.delay_steps]
        connection = await aio_pika.connect(self.rabbit_url)
        try:
            channel = await connection.channel()
            for name in queues:
                await channel.queue_delete(name, if_unused=False, if_empty=False)
            for name in exchanges:
                await channel.exchange_delete(name)
        finally:
            await connection.close()


@pytest.fixture(params=[MEMORY, RABBITMQ])
async def broker(request: pytest.FixtureRequest) -> AsyncIterator[Broker]:
    kind: str = request.param
    url: str = request.getfixturevalue("rabbit_url") if kind == "rabbitmq" else ""
    b = Broker(kind, url)
    try:
        yield b
    finally:
        await b.aclose()


def lookup(personal_id: str = PERSONAL_ID, **headers: Any) -> OutgoingMessage:
    body = {"type": "national.citizen_lookup", "body": {"personal_id": personal_id}}
    return OutgoingMessage(
        message_id=f"r-{secrets.token_hex(6)}",
        routing_key="national.citizen_lookup",
        body=json.dumps(body).encode(),
        type="national.citizen_lookup",
        headers=headers,
    )


def personal_id_of(delivery: Delivery) -> str:
    value: str = json.loads(delivery.body)["body"]["personal_id"]
    return value


class Answerer:
    """Answers each lookup with the personal ID number it asked about, after ``behaviour``."""

    def __init__(self, behaviour: Callable[[Delivery], Awaitable[None]] | None = None) -> None:
        self.asked: list[Delivery] = []
        self.answered = asyncio.Event()
        self._behaviour = behaviour

    async def __call__(self, delivery: Delivery) -> Reply:
        self.asked.append(delivery)
        try:
            if self._behaviour is not None:
                await self._behaviour(delivery)
            return Reply(ReplyOutcome.FOUND, {"personal_id": personal_id_of(delivery)})
        finally:
            self.answered.set()


def soon(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


async def test_round_trip_from_another_process_and_from_the_same(broker: Broker) -> None:
    adapter = await broker.bus()
    gateway = await broker.bus()
    answerer = Answerer()
    await adapter.serve_requests("national", answerer)

    message = lookup()
    reply = await gateway.request(message, within=TIMEOUT)
    # In one process (``lgsp run``) the gateway asks its own bus's adapter.
    again = await adapter.request(lookup("001099054321"), within=TIMEOUT)

    assert reply == Reply(ReplyOutcome.FOUND, {"personal_id": PERSONAL_ID})
    assert again.answer == {"personal_id": "001099054321"}
    asked = answerer.asked[0]
    assert asked.message_id == message.message_id
    assert asked.correlation_id == message.message_id
    assert (asked.reply_to or "").startswith(f"{broker.topology.prefix}.replies.")
    assert datetime.fromisoformat(str(asked.headers[DEADLINE_HEADER])) > datetime.now(UTC)
    assert answerer.asked[1].reply_to != asked.reply_to  # each process its own reply queue
    assert gateway.pending_requests == 0
    assert adapter.pending_requests == 0


async def test_not_found_and_failed_replies_come_back_as_they_are(broker: Broker) -> None:
    adapter = await broker.bus()
    gateway = await broker.bus()

    async def answer(delivery: Delivery) -> Reply:
        if personal_id_of(delivery) == PERSONAL_ID:
            return Reply(ReplyOutcome.NOT_FOUND)
        return Reply(ReplyOutcome.FAILED, detail="the national platform answered 503")

    await adapter.serve_requests("national", answer)

    assert await gateway.request(lookup(), TIMEOUT) == Reply(ReplyOutcome.NOT_FOUND)
    failed = await gateway.request(lookup("001099054321"), TIMEOUT)
    assert failed == Reply(ReplyOutcome.FAILED, detail="the national platform answered 503")


async def test_a_handler_exception_is_a_failed_reply_without_the_request_in_it(
    broker: Broker,
) -> None:
    adapter = await broker.bus()
    gateway = await broker.bus()

    async def broken(delivery: Delivery) -> Reply:
        raise RuntimeError(f"cannot parse {personal_id_of(delivery)}")

    await adapter.serve_requests("national", broken)
    with capture_logs() as logs:
        reply = await gateway.request(lookup(), TIMEOUT)

    assert reply.outcome is ReplyOutcome.FAILED
    assert reply.detail == "answering national.citizen_lookup failed (RuntimeError)"
    assert PERSONAL_ID not in reply.to_bytes().decode()
    assert any(e["event"] == "request_handler_failed" for e in logs)
    # The adapter goes on answering.
    assert (await gateway.request(lookup(), TIMEOUT)).outcome is ReplyOutcome.FAILED


async def test_no_answer_in_time_raises_and_leaves_nothing_pending(broker: Broker) -> None:
    adapter = await broker.bus()
    gateway = await broker.bus()
    release = asyncio.Event()

    async def stuck(_delivery: Delivery) -> None:
        await release.wait()

    await adapter.serve_requests("national", Answerer(stuck))

    started = asyncio.get_running_loop().time()
    with pytest.raises(RequestTimeout):
        await gateway.request(lookup(), within=0.3)

    assert 0.3 <= asyncio.get_running_loop().time() - started < 2
    assert gateway.pending_requests == 0
    release.set()


async def test_a_late_reply_is_dropped_and_the_next_request_gets_its_own(broker: Broker) -> None:
    adapter = await broker.bus()
    gateway = await broker.bus()

    async def slow_for_the_first(delivery: Delivery) -> None:
        if personal_id_of(delivery) == PERSONAL_ID:
            await asyncio.sleep(0.6)

    answerer = Answerer(slow_for_the_first)
    await adapter.serve_requests("national", answerer)

    with capture_logs() as logs:
        # The deadline the adapter sees is later than the gateway's wait, so the adapter does
        # answer, after the gateway gave up.
        first = lookup(**{DEADLINE_HEADER: soon(TIMEOUT)})
        with pytest.raises(RequestTimeout):
            await gateway.request(first, within=0.2)
        assert gateway.pending_requests == 0
        async with asyncio.timeout(TIMEOUT):
            while not any(e["event"] == "late_reply_dropped" for e in logs):
                await asyncio.sleep(0.02)

        second = await gateway.request(lookup("001099054321"), within=TIMEOUT)

    assert second.answer == {"personal_id": "001099054321"}
    dropped = [e for e in logs if e["event"] == "late_reply_dropped"]
    assert [e["correlation_id"] for e in dropped] == [first.message_id]
    assert gateway.pending_requests == 0


async def test_two_gateways_each_get_exactly_their_own_replies(broker: Broker) -> None:
    adapter = await broker.bus()
    gateways = [await broker.bus(), await broker.bus()]

    async def jitter(_delivery: Delivery) -> None:
        await asyncio.sleep(secrets.randbelow(20) / 1000)

    answerer = Answerer(jitter)
    await adapter.serve_requests("national", answerer)
    # 12-digit numbers of their own per gateway: 0010990 + gateway + 4 digits.
    asked = {
        (g, f"0010990{g}{n:04d}"): gateway.request(lookup(f"0010990{g}{n:04d}"), TIMEOUT)
        for g, gateway in enumerate(gateways)
        for n in range(25)
    }

    with capture_logs() as logs:
        replies = await asyncio.gather(*asked.values())

    for (_, personal_id), reply in zip(asked, replies, strict=True):
        assert reply == Reply(ReplyOutcome.FOUND, {"personal_id": personal_id})
    assert len(answerer.asked) == 50
    assert not [e for e in logs if e["event"] == "late_reply_dropped"]
    assert [g.pending_requests for g in gateways] == [0, 0]


async def test_an_expired_request_is_not_answered(broker: Broker) -> None:
    adapter = await broker.bus()
    gateway = await broker.bus()
    answerer = Answerer()

    # Nobody serves yet: the request waits in its queue past its expiration.
    with pytest.raises(RequestTimeout):
        await gateway.request(lookup("001099000001"), within=0.2)
    await asyncio.sleep(0.3)
    await adapter.serve_requests("national", answerer)
    # Taken at once, but its deadline had passed (a caller's deadline, or clocks apart).
    with pytest.raises(RequestTimeout):
        await gateway.request(lookup("001099000002", **{DEADLINE_HEADER: soon(-1)}), within=0.5)

    fresh = await gateway.request(lookup("001099000003"), TIMEOUT)

    assert fresh.answer == {"personal_id": "001099000003"}
    assert [personal_id_of(d) for d in answerer.asked] == ["001099000003"]


async def test_a_reply_to_a_requester_gone_is_dropped(broker: Broker) -> None:
    adapter = await broker.bus()
    gone = await broker.bus()
    other = await broker.bus()
    release = asyncio.Event()

    async def held(delivery: Delivery) -> None:
        if personal_id_of(delivery) == PERSONAL_ID:
            await release.wait()

    answerer = Answerer(held)
    await adapter.serve_requests("national", answerer)
    asking = asyncio.ensure_future(gone.request(lookup(), TIMEOUT))
    async with asyncio.timeout(TIMEOUT):
        while not answerer.asked:
            await asyncio.sleep(0.01)

    await gone.close()
    with pytest.raises(BrokerUnavailable):
        await asking
    with capture_logs() as logs:
        release.set()
        async with asyncio.timeout(TIMEOUT):
            while not any(e["event"] == "reply_queue_gone" for e in logs):
                await asyncio.sleep(0.02)

    assert (await other.request(lookup("001099054321"), TIMEOUT)).outcome is ReplyOutcome.FOUND


async def test_requests_do_not_wait_behind_the_work_queue(broker: Broker) -> None:
    adapter = await broker.bus(prefetch=1)
    gateway = await broker.bus()
    busy = asyncio.Event()
    release = asyncio.Event()

    async def stuck(_delivery: Delivery) -> None:
        busy.set()
        await release.wait()

    # The axis's work queue is stuck on a delivery that does not finish...
    await adapter.consume("national", stuck)
    for _ in range(3):
        await gateway.publish(
            OutgoingMessage(
                f"m-{secrets.token_hex(6)}", "national.dossier_sync", b"{}", "national.dossier_sync"
            )
        )
    async with asyncio.timeout(TIMEOUT):
        await busy.wait()
    # ... and lookups are answered all the same.
    await adapter.serve_requests("national", Answerer())
    reply = await gateway.request(lookup(), TIMEOUT)
    assert reply.outcome is ReplyOutcome.FOUND
    release.set()
    await adapter.stop_consuming(TIMEOUT)


async def test_a_request_without_a_bus_is_broker_unavailable(broker: Broker) -> None:
    bus = await broker.bus()
    await bus.close()

    with pytest.raises(BrokerUnavailable):
        await bus.request(lookup(), TIMEOUT)
    assert bus.pending_requests == 0


# --------------------------------------------------------------------------------------------
# RabbitMQ only
# --------------------------------------------------------------------------------------------


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


@pytest.fixture
def private_vhost() -> Iterator[str]:
    """A vhost of this test's alone: its connections are closed under it."""
    if shutil.which("rabbitmqctl") is None:
        pytest.skip("rabbitmqctl is needed to close connections")
    vhost = f"lgsp-test-rr-{secrets.token_hex(4)}"
    _rabbitmqctl("add_vhost", vhost)
    _rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    try:
        yield vhost
    finally:
        _rabbitmqctl("delete_vhost", vhost)


@pytest.mark.integration
async def test_request_reply_resumes_after_the_connection_is_lost(private_vhost: str) -> None:
    broker = Broker("rabbitmq", f"amqp://guest:guest@127.0.0.1:5672/{private_vhost}")
    try:
        adapter = await broker.bus()
        gateway = await broker.bus()
        await adapter.serve_requests("national", Answerer())
        assert (await gateway.request(lookup(), TIMEOUT)).outcome is ReplyOutcome.FOUND

        await asyncio.to_thread(
            _rabbitmqctl, "close_all_connections", "--vhost", private_vhost, "test"
        )

        # The reply queue (exclusive: gone with the connection) and the consumers come back.
        async with asyncio.timeout(30):
            while True:
                try:
                    reply = await gateway.request(lookup("001099054321"), within=2)
                    break
                except (BrokerUnavailable, RequestTimeout):
                    await asyncio.sleep(0.2)
        assert reply.answer == {"personal_id": "001099054321"}
        assert gateway.pending_requests == 0
    finally:
        await broker.aclose()
