"""Every piece of state the gateway keeps on its ``Application``, declared in one place."""

from __future__ import annotations

from aiohttp import web

from lgsp.blobs import BlobStore
from lgsp.bus import Bus
from lgsp.gateway.auth import Authenticator
from lgsp.gateway.lifecycle import Lifecycle
from lgsp.intake import Acceptor
from lgsp.journal import Journal
from lgsp.metrics import Metrics
from lgsp.ops.dead_letters import DeadLetters
from lgsp.settings import Settings

__all__ = [
    "ACCEPTOR",
    "AUTHENTICATOR",
    "BLOBS",
    "BUS",
    "DEAD_LETTERS",
    "JOURNAL",
    "LIFECYCLE",
    "METRICS",
    "SETTINGS",
]

SETTINGS = web.AppKey("settings", Settings)
BUS = web.AppKey("bus", Bus)
JOURNAL = web.AppKey("journal", Journal)
AUTHENTICATOR = web.AppKey("authenticator", Authenticator)
ACCEPTOR = web.AppKey("acceptor", Acceptor)
BLOBS = web.AppKey("blobs", BlobStore)
DEAD_LETTERS = web.AppKey("dead_letters", DeadLetters)
LIFECYCLE = web.AppKey("lifecycle", Lifecycle)
METRICS = web.AppKey("metrics", Metrics)
