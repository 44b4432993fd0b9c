"""Assembling a process: journal, bus, HTTP client, blob store, metrics, the acceptor and the
adapters, opened and closed in order; draining; the wait for a signal to stop.

The gateway (``lgsp.gateway.serving``) and the metrics port of an adapter process
(``lgsp.metrics_server``) are served from these ``Services``; neither is imported here, so an
adapter process never loads aiohttp's web server, the OpenAPI builder or the docs page.

Not for: argument parsing (``lgsp.cli``) or anything a single request does.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import httpx
import structlog

from lgsp.adapters import Adapter, AdapterContext, load_adapter
from lgsp.adapters.base import Answerer
from lgsp.adapters.vdxp.bridge import NationalInbox
from lgsp.blobs import BlobStore, DirectoryBlobStore
from lgsp.bus import Bus, create_bus
from lgsp.intake import Acceptor
from lgsp.journal import Journal
from lgsp.metrics import Metrics
from lgsp.ops.dead_letters import DeadLetterKeeper
from lgsp.settings import Settings

__all__ = [
    "Draining",
    "Services",
    "drain",
    "open_services",
    "start_adapters",
    "wait_for_stop",
]

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    journal: Journal
    bus: Bus
    http: httpx.AsyncClient
    blobs: BlobStore
    metrics: Metrics
    """The process's one registry: the gateway's requests and the adapters' deliveries."""
    acceptor: Acceptor
    """The process's one acceptor: the gateway's doors and the national axis's inbox commit
    through it."""
    background: list[asyncio.Task[None]] = field(default_factory=list)
    """Long-running tasks (pollers), cancelled when the services close."""

    def adapter_context(self) -> AdapterContext:
        return AdapterContext(
            self.settings, self.bus, self.journal, self.http, self.blobs, self.metrics
        )


@asynccontextmanager
async def open_services(settings: Settings, *, bus: Bus | None = None) -> AsyncIterator[Services]:
    """Journal, bus and HTTP client, ready; closed in reverse order on the way out.

    Raises ``JournalUnavailable`` or ``BrokerUnavailable`` at once when either cannot be reached.
    """
    journal = await Journal.open(
        settings.db_url,
        batch_size=settings.journal_batch_size,
        call_timeout=settings.journal_timeout,
    )
    try:
        the_bus = bus or create_bus(settings)
        await the_bus.start()
        try:
            async with httpx.AsyncClient(
                timeout=settings.webhook_timeout,
                limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
            ) as http:
                blobs = DirectoryBlobStore(Path(settings.blob_dir))
                metrics = Metrics()
                metrics.watch_bus(the_bus)
                acceptor = Acceptor.from_settings(
                    settings, the_bus, journal, blobs, metrics=metrics
                )
                services = Services(settings, journal, the_bus, http, blobs, metrics, acceptor)
                try:
                    yield services
                finally:
                    for task in services.background:
                        task.cancel()
                    await asyncio.gather(*services.background, return_exceptions=True)
                    await acceptor.close()
        finally:
            await the_bus.close()
    finally:
        await journal.close()


async def start_adapters(services: Services, axes: Sequence[str]) -> list[Adapter]:
    """Consume each axis's queue, and answer its requests when its adapter is an ``Answerer``;
    with the document axis, also poll the national document axis when one is configured (the
    poller stops with the bus). Every adapter's deliveries are counted and timed, plug-ins' too."""
    adapters = [load_adapter(axis, services.adapter_context()) for axis in axes]
    for adapter in adapters:
        await services.bus.consume(adapter.axis, adapter.handle, observer=services.metrics)
        answers = False
        if isinstance(adapter, Answerer):
            await services.bus.serve_requests(adapter.axis, adapter.answer)
            answers = True
        log.info("adapter_started", axis=adapter.axis, answers_requests=answers)
    if axes:
        # Whoever delivers also keeps the dead letters: what the broker dead-lettered at a
        # queue's delivery limit is recorded in the journal, where operators look.
        await services.bus.consume_dead_letters(DeadLetterKeeper(services.journal).handle)
    if "document" in axes and services.settings.national_document_url:
        inbox = NationalInbox.from_settings(
            services.settings, services.http, services.journal, services.acceptor
        )
        services.background.append(asyncio.create_task(inbox.run(), name="national-inbox"))
        log.info("national_inbox_started", url=services.settings.national_document_url)
    return adapters


class Draining(Protocol):
    """What a server tells load balancers while the process drains (the gateway's
    ``Lifecycle``)."""

    draining: bool


async def drain(services: Services, lifecycle: Draining | None) -> None:
    """The first half of a graceful stop: readiness goes false, intake stops after
    ``LGSP_DRAIN_SECONDS``, deliveries in hand get ``LGSP_SHUTDOWN_TIMEOUT`` to finish."""
    settings = services.settings
    if lifecycle is not None:
        lifecycle.draining = True
        log.info("draining", seconds=settings.drain_seconds)
        await asyncio.sleep(settings.drain_seconds)
    await services.bus.stop_consuming(settings.shutdown_timeout)
    log.info("stopped_consuming")


async def wait_for_stop() -> None:
    """Return on SIGINT or SIGTERM."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
