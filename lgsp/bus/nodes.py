"""The nodes of a RabbitMQ cluster as ``LGSP_BROKER_URL`` lists them, and a robust connection that
moves between them. Not for: anything once connected (``lgsp.bus.rabbit``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aio_pika
from yarl import URL

__all__ = ["ClusterConnection", "broker_urls", "redact_url"]


def broker_urls(url: str) -> tuple[str, ...]:
    """The node URLs ``url`` lists: several when it is comma-separated and every piece is a URL
    (``scheme://``), else ``url`` alone (a password may hold a bare comma)."""
    pieces = tuple(piece.strip() for piece in url.split(","))
    if len(pieces) > 1 and all("://" in piece for piece in pieces):
        return pieces
    return (url,)


def redact_url(url: str) -> str:
    """``url`` (or each URL of a list) with its password hidden, fit for a log line or an error
    message."""
    urls = broker_urls(url)
    if len(urls) > 1:
        return ",".join(_redact_one(one) for one in urls)
    return _redact_one(url)


def _redact_one(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    creds, at, host = rest.rpartition("@")
    if not at:
        return url
    user = creds.split(":", 1)[0]
    return f"{scheme}{sep}{user}:***@{host}"


class ClusterConnection(aio_pika.RobustConnection):
    """A robust connection that knows every node of a cluster: each (re)connection attempt goes
    to the next node's URL, so losing the node it is on moves it to another one."""

    def __init__(self, urls: Sequence[str], first: int, **kwargs: Any) -> None:
        self._node_urls = tuple(URL(url) for url in urls)
        self._next_node = first
        super().__init__(self._node_urls[first], **kwargs)

    # aio-pika (9.4 to 10.x) has no hook for "about to connect": its robust connection's private
    # connect step, which every attempt goes through, is the one place to choose the node.
    # tests/bus/test_rabbit_urls.py fails if an upgrade takes it away.
    async def _RobustConnection__connect_transport(self) -> None:
        self.url = self._node_urls[self._next_node]
        self._next_node = (self._next_node + 1) % len(self._node_urls)
        await super()._RobustConnection__connect_transport()  # type: ignore[misc]
