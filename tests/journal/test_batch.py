"""``BatchWriter``: group commit with one outcome per caller. No database: ``flush`` is a plain
function the test controls."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import pytest

from lgsp.journal.batch import BatchWriter

TIMEOUT = 5.0


class Flusher:
    """Records every batch; fails the items ``bad`` names, or the whole batch when told."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.bad: set[int] = set()
        self.raise_next: BaseException | None = None
        self.gate: asyncio.Event | None = None
        self.entered = asyncio.Event()

    async def __call__(self, batch: Sequence[int]) -> list[BaseException | None]:
        self.entered.set()
        if self.gate is not None:
            await self.gate.wait()
        await asyncio.sleep(0)  # a real flush awaits the database
        self.batches.append(list(batch))
        if self.raise_next is not None:
            exc, self.raise_next = self.raise_next, None
            raise exc
        return [ValueError(f"bad {item}") if item in self.bad else None for item in batch]

    @property
    def flushed(self) -> list[int]:
        return [item for batch in self.batches for item in batch]


@pytest.fixture
def flusher() -> Flusher:
    return Flusher()


@pytest.fixture
async def writer(flusher: Flusher) -> AsyncIterator[BatchWriter[int]]:
    w: BatchWriter[int] = BatchWriter(flusher, max_batch=10, name="test")
    w.start()
    try:
        yield w
    finally:
        if flusher.gate is not None:
            flusher.gate.set()
        async with asyncio.timeout(TIMEOUT):
            await w.close()


async def test_a_lone_write_is_flushed_at_once(writer: BatchWriter[int], flusher: Flusher) -> None:
    async with asyncio.timeout(TIMEOUT):
        await writer.write(1)

    assert flusher.batches == [[1]]


async def test_concurrent_writes_are_batched_up_to_max_batch(
    writer: BatchWriter[int], flusher: Flusher
) -> None:
    async with asyncio.timeout(TIMEOUT):
        results = await asyncio.gather(*(writer.write(i) for i in range(25)))

    assert results == [None] * 25
    assert [len(b) for b in flusher.batches] == [10, 10, 5]
    assert flusher.flushed == list(range(25))  # in the order written


async def test_writes_arriving_during_a_flush_form_the_next_batch(
    writer: BatchWriter[int], flusher: Flusher
) -> None:
    flusher.gate = asyncio.Event()
    first = asyncio.create_task(writer.write(0))
    async with asyncio.timeout(TIMEOUT):
        await flusher.entered.wait()
    later = [asyncio.create_task(writer.write(i)) for i in range(1, 6)]
    await asyncio.sleep(0.01)

    flusher.gate.set()
    async with asyncio.timeout(TIMEOUT):
        await asyncio.gather(first, *later)

    assert flusher.batches == [[0], [1, 2, 3, 4, 5]]


async def test_per_item_errors_reach_only_their_callers(
    writer: BatchWriter[int], flusher: Flusher
) -> None:
    flusher.bad = {3, 7}

    async with asyncio.timeout(TIMEOUT):
        results = await asyncio.gather(
            *(writer.write(i) for i in range(10)), return_exceptions=True
        )

    assert len(flusher.batches) == 1
    for item, result in enumerate(results):
        if item in flusher.bad:
            assert isinstance(result, ValueError)
            assert str(result) == f"bad {item}"
        else:
            assert result is None, item


async def test_a_failing_flush_fails_its_batch_and_the_writer_goes_on(
    writer: BatchWriter[int], flusher: Flusher
) -> None:
    boom = OSError("disk gone")
    flusher.raise_next = boom

    async with asyncio.timeout(TIMEOUT):
        failed = await asyncio.gather(*(writer.write(i) for i in range(4)), return_exceptions=True)
    assert failed == [boom] * 4

    async with asyncio.timeout(TIMEOUT):
        after = await asyncio.gather(*(writer.write(i) for i in range(10, 13)))
    assert after == [None, None, None]
    assert flusher.batches == [[0, 1, 2, 3], [10, 11, 12]]


async def test_a_caller_that_gives_up_does_not_disturb_the_others(
    writer: BatchWriter[int], flusher: Flusher
) -> None:
    flusher.gate = asyncio.Event()
    tasks = [asyncio.create_task(writer.write(i)) for i in range(3)]
    async with asyncio.timeout(TIMEOUT):
        await flusher.entered.wait()

    tasks[1].cancel()
    flusher.gate.set()
    async with asyncio.timeout(TIMEOUT):
        results = await asyncio.gather(*tasks, return_exceptions=True)

    assert results[0] is None
    assert isinstance(results[1], asyncio.CancelledError)
    assert results[2] is None
    assert flusher.flushed == [0, 1, 2]  # the row was written; only the answer went unheard
    async with asyncio.timeout(TIMEOUT):
        await writer.write(3)


async def test_close_drains_what_is_queued(flusher: Flusher) -> None:
    writer: BatchWriter[int] = BatchWriter(flusher, max_batch=4, name="test")
    writer.start()
    flusher.gate = asyncio.Event()
    tasks = [asyncio.create_task(writer.write(i)) for i in range(10)]
    await asyncio.sleep(0)
    async with asyncio.timeout(TIMEOUT):
        await flusher.entered.wait()

    closing = asyncio.create_task(writer.close())
    await asyncio.sleep(0)
    flusher.gate.set()
    async with asyncio.timeout(TIMEOUT):
        await closing
        results = await asyncio.gather(*tasks)

    assert results == [None] * 10
    assert sorted(flusher.flushed) == list(range(10))
    assert all(len(b) <= 4 for b in flusher.batches)
    with pytest.raises(RuntimeError, match="closed"):
        await writer.write(99)


async def test_close_with_nothing_queued(flusher: Flusher) -> None:
    writer: BatchWriter[int] = BatchWriter(flusher, max_batch=4, name="test")
    writer.start()

    async with asyncio.timeout(TIMEOUT):
        await writer.close()

    assert flusher.batches == []
