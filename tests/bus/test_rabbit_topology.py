"""What ``RabbitBus.start`` declares on the broker, and how it fails to start.

The declared shape is read back with ``rabbitmqctl`` (a passive declare does not return a queue's
arguments); the run's vhost is the one ``rabbit_url`` names.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import shutil
import subprocess
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from lgsp.bus import AXES, OutgoingMessage, RabbitBus, Topology, redact_url
from lgsp.errors import BrokerUnavailable

DELIVERY_LIMIT = 3


def _vhost(url: str) -> str:
    path = urlsplit(url).path
    return unquote(path[1:]) if len(path) > 1 else "/"


def _rabbitmqctl_json(*args: str) -> list[dict[str, Any]]:
    if shutil.which("rabbitmqctl") is None:
        pytest.skip("rabbitmqctl is needed to read queue arguments back")
    done = subprocess.run(
        ["rabbitmqctl", "-q", *args, "--formatter", "json"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    rows: list[dict[str, Any]] = json.loads(done.stdout)
    return rows


def _arguments(raw: list[list[Any]]) -> dict[str, Any]:
    """rabbitmqctl's ``[[name, type, value], ...]`` as a dict of name to value."""
    return {name: value for name, _type, value in raw}


@pytest.fixture
async def started(rabbit_url: str) -> AsyncIterator[RabbitBus]:
    bus = RabbitBus(
        rabbit_url,
        Topology(prefix=f"t{secrets.token_hex(4)}", delivery_limit=DELIVERY_LIMIT),
        connect_timeout=5.0,
    )
    await bus.start()
    try:
        yield bus
    finally:
        await bus.close()


@pytest.mark.integration
def test_work_queues_are_quorum_queues_with_limit_and_dead_letters(
    started: RabbitBus, rabbit_url: str
) -> None:
    t = started.topology
    queues = {
        row["name"]: row
        for row in _rabbitmqctl_json(
            "list_queues", "-p", _vhost(rabbit_url), "name", "type", "arguments"
        )
    }

    for axis in AXES:
        row = queues[t.work_queue(axis)]
        assert row["type"] == "quorum", axis
        arguments = _arguments(row["arguments"])
        assert arguments["x-queue-type"] == "quorum"
        assert arguments["x-delivery-limit"] == DELIVERY_LIMIT
        assert arguments["x-dead-letter-exchange"] == t.dead_exchange
        assert arguments["x-dead-letter-strategy"] == "at-least-once"
        # at-least-once dead-lettering is only in force with reject-publish overflow.
        assert arguments["x-overflow"] == "reject-publish"
    for name in (t.dead_queue, t.unroutable_queue):
        assert queues[name]["type"] == "quorum", name


@pytest.mark.integration
def test_exchanges_and_bindings(started: RabbitBus, rabbit_url: str) -> None:
    t = started.topology
    vhost = _vhost(rabbit_url)
    exchanges = {
        row["name"]: row
        for row in _rabbitmqctl_json("list_exchanges", "-p", vhost, "name", "type", "arguments")
    }
    bindings = {
        (row["source_name"], row["destination_name"], row["routing_key"])
        for row in _rabbitmqctl_json(
            "list_bindings", "-p", vhost, "source_name", "destination_name", "routing_key"
        )
    }

    messages = exchanges[t.messages_exchange]
    assert messages["type"] == "topic"
    assert _arguments(messages["arguments"])["alternate-exchange"] == t.unroutable_exchange
    assert exchanges[t.unroutable_exchange]["type"] == "fanout"
    assert exchanges[t.dead_exchange]["type"] == "topic"
    for axis in AXES:
        assert (t.messages_exchange, t.work_queue(axis), f"{axis}.#") in bindings
    assert (t.dead_exchange, t.dead_queue, "#") in bindings
    # A fanout ignores the binding key, whatever it is.
    assert (t.unroutable_exchange, t.unroutable_queue) in {(s, d) for s, d, _ in bindings}


@pytest.mark.integration
async def test_start_again_on_a_declared_topology(started: RabbitBus, rabbit_url: str) -> None:
    # A second process (another gateway) declares the same names with the same arguments.
    again = RabbitBus(rabbit_url, started.topology, connect_timeout=5.0)
    await again.start()
    try:
        assert again.is_connected()
    finally:
        await again.close()


@pytest.mark.integration
@pytest.mark.parametrize(
    "url",
    [
        pytest.param("amqp://guest:s3cret-Pw@127.0.0.1:1/lgsp", id="nothing-listening"),
        pytest.param("amqp://guest:s3cret-Pw@127.0.0.1:5672/", id="wrong-password"),
    ],
)
async def test_unreachable_broker_raises_quickly_with_password_redacted(url: str) -> None:
    bus = RabbitBus(url, Topology(prefix=f"t{secrets.token_hex(4)}"), connect_timeout=1.0)
    started_at = time.monotonic()

    async with asyncio.timeout(10):
        with pytest.raises(BrokerUnavailable) as caught:
            await bus.start()

    assert time.monotonic() - started_at < 5
    text = str(caught.value)
    assert "s3cret-Pw" not in text
    assert "guest:***@127.0.0.1" in text
    assert not bus.is_connected()
    with pytest.raises(BrokerUnavailable):
        await bus.publish(OutgoingMessage("m-1", "document.send", b"{}", "document.send"))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "amqp://guest:guest@127.0.0.1:5672/lgsp",
            "amqp://guest:***@127.0.0.1:5672/lgsp",
        ),
        ("amqps://lgsp:p%40ss%2Fword@mq.tinh.gov.vn/", "amqps://lgsp:***@mq.tinh.gov.vn/"),
        # An unencoded "@" or ":" in the password still stays hidden.
        ("amqp://lgsp:pa@ss:wd@mq:5672/prod", "amqp://lgsp:***@mq:5672/prod"),
        ("amqp://127.0.0.1:5672/", "amqp://127.0.0.1:5672/"),
        ("postgresql://postgres:pg-secret@db:5432/lgsp", "postgresql://postgres:***@db:5432/lgsp"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_redact_url_without_a_password_leaks_nothing() -> None:
    redacted = redact_url("amqp://guest@127.0.0.1:5672/")

    assert redacted.startswith("amqp://guest")
    assert redacted.endswith("@127.0.0.1:5672/")
