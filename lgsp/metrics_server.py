"""``/metrics`` and ``/healthz`` of a process without a gateway (``lgsp adapter``).

An adapter process serves only these two read-only answers, so it does not load a web framework
for them: h11 (the HTTP/1.1 state machine httpx already brings) reads each request off an asyncio
stream. Every other path is 404, every other method 405; one request per connection at a time,
kept alive as HTTP/1.1 allows.

Not for: the gateway (``lgsp.gateway``), which answers ``/metrics`` from the same ``Metrics``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import h11
import structlog

from lgsp.errors import ConfigurationError
from lgsp.metrics import CONTENT_TYPE, Metrics

__all__ = ["serve_metrics"]

log = structlog.get_logger(__name__)

_READ = 64 * 1024
_IDLE_SECONDS = 30.0
"""A connection that sends nothing for this long is closed."""


def _answer(metrics: Metrics, method: bytes, target: bytes) -> tuple[int, str, bytes]:
    path = target.split(b"?", 1)[0]
    if path not in (b"/metrics", b"/healthz"):
        return 404, "application/json", b'{"status": "not found"}'
    if method not in (b"GET", b"HEAD"):
        return 405, "application/json", b'{"status": "method not allowed"}'
    if path == b"/metrics":
        return 200, CONTENT_TYPE, metrics.exposition()
    return 200, "application/json", json.dumps({"status": "ok"}).encode()


async def _serve_connection(
    metrics: Metrics, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    conn = h11.Connection(h11.SERVER)
    try:
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                async with asyncio.timeout(_IDLE_SECONDS):
                    conn.receive_data(await reader.read(_READ))
                continue
            if isinstance(event, h11.Request):
                status, content_type, body = _answer(metrics, event.method, event.target)
                headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
                writer.write(conn.send(h11.Response(status_code=status, headers=headers)) or b"")
                if event.method != b"HEAD":
                    writer.write(conn.send(h11.Data(data=body)) or b"")
                writer.write(conn.send(h11.EndOfMessage()) or b"")
                await writer.drain()
                continue
            if isinstance(event, h11.EndOfMessage | h11.Data):
                continue
            if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
                conn.start_next_cycle()
                continue
            return  # ConnectionClosed, or a state that cannot go on
    except (h11.RemoteProtocolError, TimeoutError, ConnectionError):
        return
    finally:
        writer.close()
        with suppress(ConnectionError):
            await writer.wait_closed()


@asynccontextmanager
async def serve_metrics(metrics: Metrics, host: str, port: int) -> AsyncIterator[int]:
    """Serve ``metrics`` on ``host:port``; yields where it listens (port 0 picks one)."""

    open_writers: set[asyncio.StreamWriter] = set()

    async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        open_writers.add(writer)
        try:
            await _serve_connection(metrics, reader, writer)
        finally:
            open_writers.discard(writer)

    try:
        server = await asyncio.start_server(on_connection, host, port, reuse_address=True)
    except OSError as exc:
        raise ConfigurationError(
            f"cannot listen on {host}:{port} ({exc.strerror}); set LGSP_METRICS_PORT"
        ) from exc
    bound = int(server.sockets[0].getsockname()[1]) if server.sockets else port
    log.info("metrics_listening", host=host, port=bound)
    try:
        yield bound
    finally:
        server.close()
        for writer in list(open_writers):  # idle keep-alive connections end with the server
            writer.close()
        await server.wait_closed()
