"""The gateway's app factory: ``create_app(settings, bus=, journal=, blobs=, acceptor=)``.

The bus, journal, blob store and acceptor are the process's: ``lgsp.runtime.open_services`` opens
them, builds the one ``Acceptor`` (which ``lgsp run`` shares with the national axis's inbox) and
closes them all; the app only uses them. ``metrics`` is the process's ``Metrics`` (``lgsp run``
shares one with its adapters); without one the app keeps its own.
"""

from __future__ import annotations

from aiohttp import web

from lgsp.blobs import BlobStore
from lgsp.bus import Bus
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
from lgsp.intake import Acceptor
from lgsp.journal import Journal
from lgsp.metrics import CONTENT_TYPE, Metrics
from lgsp.ops.dead_letters import DeadLetters
from lgsp.settings import Settings

__all__ = ["create_app", "get_metrics"]


def create_app(
    settings: Settings,
    *,
    bus: Bus,
    journal: Journal,
    blobs: BlobStore,
    acceptor: Acceptor,
    metrics: Metrics | None = None,
) -> web.Application:
    # A little headroom over the body limit so our own check answers with a precise 413.
    largest = max(settings.max_body_bytes, settings.max_document_bytes)
    app = web.Application(client_max_size=largest + 1)
    app[SETTINGS] = settings
    app[LIFECYCLE] = Lifecycle()
    if metrics is None:
        metrics = Metrics()
        metrics.watch_bus(bus)
    app[METRICS] = metrics
    app[BUS] = bus
    app[JOURNAL] = journal
    app[BLOBS] = blobs
    app[ACCEPTOR] = acceptor
    app[AUTHENTICATOR] = Authenticator(journal.systems, ttl=settings.system_cache_ttl)
    app[DEAD_LETTERS] = DeadLetters(journal, bus)
    setup_middlewares(app)
    setup_routes(app)
    app.router.add_get("/metrics", get_metrics)
    setup_request_routes(app)
    setup_ops_routes(app)
    setup_inbox_routes(app)
    setup_openapi_routes(app)
    setup_docs_routes(app)

    return app


async def get_metrics(request: web.Request) -> web.Response:
    """``GET /metrics``: no key asked, like ``/healthz``; who may scrape is the network's call."""
    return web.Response(
        body=request.app[METRICS].exposition(), headers={"Content-Type": CONTENT_TYPE}
    )
