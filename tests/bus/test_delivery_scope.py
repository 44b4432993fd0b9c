"""One scope per delivery: the log context bound for whatever the handler writes, one canonical
line with the outcome the settle policy decided, and the observer told that same outcome."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import structlog
from structlog.testing import LogCapture

from lgsp.bus import Delivery, MemoryBus, Outcome, OutgoingMessage, Settled, Topology
from lgsp.bus.scope import run_handler
from lgsp.errors import PermanentDeliveryError, RetryLater

DELIVERY = Delivery(
    message_id="m-7",
    routing_key="document.send",
    body=b"{}",
    type="document.send",
    headers={"x-lgsp-attempt": 2},
    correlation_id=None,
    content_type="application/json",
    redelivered=True,
    delivery_count=1,
)


@contextmanager
def captured() -> Iterator[list[dict[str, Any]]]:
    """Log events as a configured process writes them: with the bound context merged in."""
    saved = structlog.get_config()
    capture = LogCapture()
    structlog.configure(processors=[structlog.contextvars.merge_contextvars, capture])
    try:
        yield capture.entries
    finally:
        structlog.configure(**saved)


class Observer:
    def __init__(self) -> None:
        self.seen: list[tuple[str, Settled]] = []

    def delivery_settled(self, axis: str, settled: Settled, seconds: float) -> None:
        assert seconds >= 0
        self.seen.append((axis, settled))


async def _park(delivery: Delivery, reason: str) -> None:
    pass


async def _delay(delivery: Delivery, seconds: float, reason: str) -> None:
    pass


@pytest.mark.parametrize(
    ("raised", "settled", "outcome"),
    [
        (None, Settled.HANDLED, Outcome.ACK),
        (RetryLater("receiver answered 503", delay=1.0), Settled.RETRY, Outcome.ACK),
        (PermanentDeliveryError("receiver answered 410"), Settled.PARKED, Outcome.ACK),
        (KeyError("a bug"), Settled.REQUEUED, Outcome.REQUEUE),
    ],
)
async def test_one_canonical_line_per_delivery_in_its_bound_context(
    raised: Exception | None, settled: Settled, outcome: Outcome
) -> None:
    observer = Observer()

    async def handle(delivery: Delivery) -> None:
        structlog.get_logger("an.adapter").info("posting", recipient="000.00.12.H41")
        if raised is not None:
            raise raised

    with captured() as logs:
        got = await run_handler(DELIVERY, handle, _park, _delay, axis="document", observer=observer)
    assert got is outcome
    assert observer.seen == [("document", settled)]
    context = {"message_id": "m-7", "axis": "document", "type": "document.send", "attempt": 2}
    posting = next(e for e in logs if e["event"] == "posting")
    assert context.items() <= posting.items()
    lines = [e for e in logs if e["event"] == "delivery"]
    assert len(lines) == 1
    assert context.items() <= lines[0].items()
    assert lines[0]["outcome"] == settled.value
    assert lines[0]["redelivered"] is True
    assert "duration_ms" in lines[0]
    assert ("reason" in lines[0]) is (raised is not None)
    assert structlog.contextvars.get_contextvars() == {}  # nothing leaks past the delivery


async def test_the_bus_tells_its_observer_about_work_queues_only() -> None:
    bus = MemoryBus(Topology(prefix="scope"))
    await bus.start()
    observer = Observer()
    handled: list[str] = []

    async def fail(delivery: Delivery) -> None:
        raise PermanentDeliveryError("no")

    async def keep(delivery: Delivery) -> None:
        handled.append(delivery.message_id)

    try:
        await bus.consume("document", fail, observer=observer)
        await bus.consume_dead_letters(keep)
        await bus.publish(
            OutgoingMessage(message_id="m-1", routing_key="document.send", body=b"", type="x")
        )
        async with asyncio.timeout(5):
            while not handled:
                await asyncio.sleep(0.01)
    finally:
        await bus.close()
    assert handled == ["m-1"]
    assert observer.seen == [("document", Settled.PARKED)]
