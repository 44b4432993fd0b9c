"""The gateway's app factory: ``create_app(settings, bus=..., journal=...)``.

A bus or journal passed in is used as it is and left open (the caller owns it); anything not passed
in is opened from ``settings`` when the app starts and closed when it stops. ``metrics`` is the
process's ``Metrics`` (``lgsp run`` shares one with its adapters); without one the app keeps its
own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from lgsp.bus import Bus, create_bus
from lgsp.documents.blobs import BlobStore, DirectoryBlobStore
from lgsp.gateway.accept import Acceptor
from lgsp.gateway.auth import Authenticator
from lgsp.gateway.docs import setup_docs_routes
from lgsp.gateway.handlers import setup_routes
from lgsp.gateway.inbox import setup_inbox_routes
from lgsp.gateway.keys import (
    ACCEPTOR,
    AUTHENTICATOR,
    BLOBS,
    BUS,
    DEAD_LETTERS,
    JOURNAL,
    LIFECYCLE,
    METRICS,
    SETTINGS,
)
from lgsp.gateway.lifecycle import Lifecycle
from lgsp.gateway.middlewares import setup_middlewares
from lgsp.gateway.openapi import setup_openapi_routes
from lgsp.gateway.ops import setup_ops_routes
from lgsp.gateway.requests import setup_request_routes
from lgsp.journal import Journal
from lgsp.metrics import CONTENT_TYPE, Metrics
from lgsp.ops.dead_letters import DeadLetters
from lgsp.settings import Settings

__all__ = ["create_app", "get_metrics"]


def create_app(
    settings: Settings,
    *,
    bus: Bus | None = None,
    journal: Journal | None = None,
    blobs: BlobStore | None = None,
    metrics: Metrics | None = None,
) -> web.Application:
    # A little headroom over the body limit so our own check answers with a precise 413.
    largest = max(settings.max_body_bytes, settings.max_document_bytes)
    app = web.Application(client_max_size=largest + 1)
    app[SETTINGS] = settings
    app[LIFECYCLE] = Lifecycle()
    the_metrics = metrics if metrics is not None else Metrics()
    app[METRICS] = the_metrics
    setup_middlewares(app)
    setup_routes(app)
    app.router.add_get("/metrics", get_metrics)
    setup_request_routes(app)
    setup_ops_routes(app)
    setup_inbox_routes(app)
    setup_openapi_routes(app)
    setup_docs_routes(app)

    async def resources(app: web.Application) -> AsyncIterator[None]:
        own_journal = journal is None
        own_bus = bus is None
        the_journal = journal or await Journal.open(
            settings.db_url,
            batch_size=settings.journal_batch_size,
            call_timeout=settings.journal_timeout,
        )
        the_bus = bus or create_bus(settings)
        the_blobs = blobs or DirectoryBlobStore(Path(settings.blob_dir))
        try:
            if own_bus:
                await the_bus.start()
            the_metrics.watch_bus(the_bus)
            app[JOURNAL] = the_journal
            app[BUS] = the_bus
            app[AUTHENTICATOR] = Authenticator(the_journal.systems, ttl=settings.system_cache_ttl)
            app[BLOBS] = the_blobs
            app[DEAD_LETTERS] = DeadLetters(the_journal, the_bus)
            app[ACCEPTOR] = Acceptor(
                the_bus,
                the_journal,
                journal_timeout=settings.journal_timeout,
                blobs=the_blobs,
                blob_threshold=settings.blob_threshold_bytes,
                publish_timeout=settings.publish_timeout,
                metrics=the_metrics,
            )
            yield
        finally:
            if own_bus:
                await the_bus.close()
            if own_journal:
                await the_journal.close()

    app.cleanup_ctx.append(resources)
    return app


async def get_metrics(request: web.Request) -> web.Response:
    """``GET /metrics``: no key asked, like ``/healthz``; who may scrape is the network's call."""
    return web.Response(
        body=request.app[METRICS].exposition(), headers={"Content-Type": CONTENT_TYPE}
    )
