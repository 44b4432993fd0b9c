"""``LGSP_BROKER_URL`` naming a cluster's nodes: how the list is read and shown, and that the bus
moves to another node when it loses the one it is on.

The nodes here are TCP relays to the one local RabbitMQ: stopping a relay is, for the client,
its node going away, and the next relay is another node of the same cluster. The real thing, a
three-node cluster losing a node under load, is ``tests/faults/test_cluster.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import aio_pika
import pytest

from lgsp.bus import OutgoingMessage, RabbitBus, Topology
from lgsp.bus.rabbit import broker_urls, redact_url
from lgsp.errors import BrokerUnavailable

NODES = "amqp://lgsp:pw-1@rabbit-1:5672/lgsp,amqp://lgsp:pw-2@rabbit-2:5672/lgsp"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("amqp://guest:guest@127.0.0.1:5672/", ("amqp://guest:guest@127.0.0.1:5672/",)),
        (NODES, ("amqp://lgsp:pw-1@rabbit-1:5672/lgsp", "amqp://lgsp:pw-2@rabbit-2:5672/lgsp")),
        (
            " amqp://a@h1:5672/ , amqp://a@h2:5673/ ,amqp://a@h3:5674/",
            ("amqp://a@h1:5672/", "amqp://a@h2:5673/", "amqp://a@h3:5674/"),
        ),
        # A bare comma in a password does not split the URL.
        ("amqp://lgsp:pa,ss@mq:5672/", ("amqp://lgsp:pa,ss@mq:5672/",)),
    ],
)
def test_broker_urls(url: str, expected: tuple[str, ...]) -> None:
    assert broker_urls(url) == expected


def test_redact_url_hides_every_nodes_password() -> None:
    redacted = redact_url(NODES)

    assert redacted == "amqp://lgsp:***@rabbit-1:5672/lgsp,amqp://lgsp:***@rabbit-2:5672/lgsp"
    assert "pw-" not in redact_url("amqp://lgsp:pa,pw-3@mq:5672/")


def test_aio_pika_still_has_the_connect_step_the_cluster_connection_hooks() -> None:
    # RabbitBus chooses the node for each (re)connection attempt in this private method.
    assert "_RobustConnection__connect_transport" in vars(aio_pika.RobustConnection)


class Relay:
    """A TCP relay to the broker, standing for one node; ``stop`` drops it and its clients."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.accepted = 0

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        up_reader, up_writer = await asyncio.open_connection(*self._target)
        self._writers |= {writer, up_writer}

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in self._writers:
            writer.transport.abort()
        if self._server is not None:
            await self._server.wait_closed()


def _at(url: str, port: int) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{parts.netloc.rpartition('@')[0]}@127.0.0.1:{port}"))


@pytest.fixture
async def relays(rabbit_url: str) -> AsyncIterator[tuple[Relay, Relay]]:
    target = urlsplit(rabbit_url)
    pair = (
        Relay(target.hostname or "127.0.0.1", target.port or 5672),
        Relay(target.hostname or "127.0.0.1", target.port or 5672),
    )
    try:
        yield pair
    finally:
        for relay in pair:
            await relay.stop()


def _bus(url: str) -> RabbitBus:
    topology = Topology(prefix=f"t{secrets.token_hex(4)}", axes=("document",), delay_steps=(1.0,))
    return RabbitBus(url, topology, connect_timeout=3.0, publish_timeout=3.0)


async def _drop(rabbit_url: str, topology: Topology) -> None:
    connection = await aio_pika.connect(rabbit_url)
    try:
        channel = await connection.channel()
        for queue in (
            topology.work_queue("document"),
            topology.dead_queue,
            topology.unroutable_queue,
            topology.delay_queue(1.0),
        ):
            await channel.queue_delete(queue)
        for exchange in (
            topology.messages_exchange,
            topology.dead_exchange,
            topology.unroutable_exchange,
            topology.delay_exchange(1.0),
        ):
            await channel.exchange_delete(exchange)
    finally:
        await connection.close()


@pytest.mark.integration
async def test_start_skips_a_node_that_does_not_answer(
    rabbit_url: str, relays: tuple[Relay, Relay]
) -> None:
    up = await relays[0].start()
    bus = _bus(f"{_at(rabbit_url, 1)},{_at(rabbit_url, up)}")
    try:
        async with asyncio.timeout(20):
            await bus.start()
        assert bus.is_connected()
        assert relays[0].accepted == 1
    finally:
        await bus.close()
        await _drop(rabbit_url, bus.topology)


@pytest.mark.integration
async def test_losing_its_node_moves_the_bus_to_the_next_one_that_answers(
    rabbit_url: str, relays: tuple[Relay, Relay]
) -> None:
    first, second = relays
    nodes = [_at(rabbit_url, await first.start()), _at(rabbit_url, 1)]
    nodes.append(_at(rabbit_url, await second.start()))
    bus = _bus(",".join(nodes))
    try:
        async with asyncio.timeout(20):
            await bus.start()
        message = OutgoingMessage("m-1", "document.send", b"{}", "document.send")
        await bus.publish(message)
        assert (first.accepted, second.accepted) == (1, 0)

        await first.stop()
        # The next attempt goes to the node that does not answer, the one after to the second.
        async with asyncio.timeout(20):
            while not bus.is_connected() or second.accepted == 0:
                await asyncio.sleep(0.1)
            while True:
                try:
                    await bus.publish(message)
                    break
                except BrokerUnavailable:  # channels are still being restored
                    await asyncio.sleep(0.1)
        assert second.accepted == 1
    finally:
        await bus.close()
        await _drop(rabbit_url, bus.topology)


@pytest.mark.integration
async def test_no_node_answering_is_one_error_naming_them_all(rabbit_url: str) -> None:
    bus = _bus(f"{_at(rabbit_url, 1)},{_at(rabbit_url, 2)}")

    async with asyncio.timeout(20):
        with pytest.raises(BrokerUnavailable) as caught:
            await bus.start()

    assert "127.0.0.1:1/" in str(caught.value)
    assert "127.0.0.1:2/" in str(caught.value)
    assert not bus.is_connected()
