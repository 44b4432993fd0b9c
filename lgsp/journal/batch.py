"""Group commit: many concurrent writers, one transaction per batch.

Each caller awaits its own item's outcome, so a 202 still waits for its row to be durable, yet a
hundred requests in flight cost one commit instead of a hundred. Not for: reads.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

import structlog

__all__ = ["BatchWriter"]

T = TypeVar("T")
log = structlog.get_logger(__name__)


class BatchWriter(Generic[T]):
    """Collects items and hands them to ``flush`` in batches of at most ``max_batch``.

    ``flush`` returns one result per item: ``None`` for success or the exception for that item,
    so one bad row (an idempotency clash) does not fail its neighbours.
    """

    def __init__(
        self,
        flush: Callable[[Sequence[T]], Awaitable[Sequence[BaseException | None]]],
        *,
        max_batch: int,
        name: str,
    ) -> None:
        self._flush = flush
        self._max_batch = max_batch
        self._name = name
        self._pending: list[tuple[T, asyncio.Future[None]]] = []
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"batch-writer-{self._name}")

    async def write(self, item: T) -> None:
        """Queue ``item`` and wait until its batch is committed (or raise its error)."""
        if self._closing:
            raise RuntimeError(f"batch writer {self._name} is closed")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        self._wakeup.set()
        await future

    async def close(self) -> None:
        """Finish what is queued, then stop."""
        self._closing = True
        self._wakeup.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._pending:
                batch = self._pending[: self._max_batch]
                del self._pending[: self._max_batch]
                await self._flush_batch(batch)
            if self._closing:
                return

    async def _flush_batch(self, batch: list[tuple[T, asyncio.Future[None]]]) -> None:
        try:
            results = await self._flush([item for item, _ in batch])
        except Exception as exc:  # the whole batch failed: each writer gets the error
            log.warning("journal_batch_failed", writer=self._name, size=len(batch), error=str(exc))
            results = [exc] * len(batch)
        for (_, future), result in zip(batch, results, strict=True):
            if future.done():  # the writer gave up waiting (timeout or cancellation)
                continue
            if result is None:
                future.set_result(None)
            else:
                future.set_exception(result)
