"""Serving the gateway of a process on a host and port, from the process's ``Services``.

Not for: building the app (``lgsp.gateway.app``) or opening what it uses (``lgsp.runtime``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import structlog
from aiohttp import web

from lgsp.errors import ConfigurationError
from lgsp.gateway.app import create_app
from lgsp.gateway.keys import LIFECYCLE
from lgsp.gateway.lifecycle import Lifecycle
from lgsp.runtime import Services

__all__ = ["Served", "serve_http"]

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Served:
    port: int
    app: web.Application

    @property
    def lifecycle(self) -> Lifecycle:
        """Where the gateway is in its life (``lgsp.runtime.drain`` marks it draining)."""
        return self.app[LIFECYCLE]


@asynccontextmanager
async def serve_http(services: Services, host: str, port: int) -> AsyncIterator[Served]:
    """The gateway on ``host:port``; yields where it listens (port 0 picks one)."""
    app = create_app(
        services.settings,
        bus=services.bus,
        journal=services.journal,
        blobs=services.blobs,
        acceptor=services.acceptor,
        metrics=services.metrics,
    )
    runner = web.AppRunner(
        app, access_log=None, shutdown_timeout=services.settings.shutdown_timeout
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise ConfigurationError(
            f"cannot listen on {host}:{port} ({exc.strerror}); set LGSP_HTTP_PORT"
        ) from exc
    bound = runner.addresses[0][1] if runner.addresses else port
    log.info("gateway_listening", host=host, port=bound)
    try:
        yield Served(int(bound), app)
    finally:
        await runner.cleanup()  # stops listening, then waits for requests in flight
