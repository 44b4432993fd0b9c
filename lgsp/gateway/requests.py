"""``POST /v1/requests``: synchronous request-reply (lookups), answered by the axis's adapter.

A lookup is checked as ``POST /v1/messages`` checks a message (the caller's key, its right to the
type, the body's content type, size and schema: ``lgsp.intake.lookups``), sent through the bus to
the axis's request queue, and the caller waits for the adapter's answer: up to its ``deadline``,
never longer than ``LGSP_REQUEST_MAX_TIMEOUT``, or ``LGSP_REQUEST_TIMEOUT`` when it sets none. 200
with the answer (``found`` says whether there was one), 502 when the far side failed, 504 when no
answer came in time, 503 when the broker cannot take the request.

Lookups are not journaled: nothing is delivered later or retried, and what they carry (personal ID
numbers) is kept nowhere. Their one trace is a log line per lookup with its id, type, outcome and
duration, never its body, and the ``lgsp_lookups_total`` and ``lgsp_lookup_duration_seconds``
metrics by type and outcome.

Not for: messages (``lgsp.gateway.handlers``) or answering lookups (an adapter that is an
``lgsp.adapters.Answerer``).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import structlog
from aiohttp import web

from lgsp.bus import Bus, OutgoingMessage, Reply, ReplyOutcome
from lgsp.bus.envelope import EnvelopeHeaders
from lgsp.errors import FarSideFailed, RequestTimeout, Unavailable
from lgsp.gateway.handlers import read_body
from lgsp.gateway.keys import BUS, METRICS, SETTINGS
from lgsp.gateway.responses import caller, json_response
from lgsp.ids import new_message_id
from lgsp.intake import admit_lookup
from lgsp.metrics import Metrics

__all__ = ["post_request", "setup_request_routes"]

log = structlog.get_logger("lgsp.gateway")


async def post_request(request: web.Request) -> web.Response:
    system = await caller(request)
    settings = request.app[SETTINGS]
    raw = await read_body(
        request, content_types=("application/json",), limit=settings.max_body_bytes
    )
    now = datetime.now(UTC)
    lookup = admit_lookup(
        system,
        raw,
        now=now,
        default_wait=settings.request_timeout,
        max_wait=settings.request_max_timeout,
    )
    message_id = new_message_id()
    message = OutgoingMessage(
        message_id=message_id,
        routing_key=lookup.type,
        body=lookup.payload,
        type=lookup.type,
        headers=EnvelopeHeaders(
            sender=system.agency, created_at=now, system=system.id, deadline=lookup.deadline
        ).to_headers(),
        correlation_id=message_id,
        timestamp=now,
    )
    reply = await _ask(request.app[BUS], message, lookup.within, request.app[METRICS])
    if reply.outcome is ReplyOutcome.FAILED:
        raise FarSideFailed(reply.detail or f"the far side failed to answer {lookup.type}")
    found = reply.outcome is ReplyOutcome.FOUND
    return json_response(
        {
            "id": message_id,
            "type": lookup.type,
            "found": found,
            "answer": dict(reply.answer) if found and reply.answer is not None else None,
        }
    )


async def _ask(bus: Bus, message: OutgoingMessage, within: float, metrics: Metrics) -> Reply:
    """The bus's answer, and the lookup's one log line and metrics (never its body: personal
    data)."""
    started = time.perf_counter()
    outcome = "cancelled"
    try:
        reply = await bus.request(message, within)
        outcome = reply.outcome.value
        return reply
    except RequestTimeout:
        outcome = "timeout"
        raise
    except Unavailable:
        outcome = "unavailable"
        raise
    finally:
        seconds = time.perf_counter() - started
        metrics.lookup(message.type, outcome, seconds)
        log.info(
            "lookup",
            message_id=message.message_id,
            type=message.type,
            outcome=outcome,
            wait_s=round(within, 3),
            duration_ms=round(seconds * 1000, 2),
        )


def setup_request_routes(app: web.Application) -> None:
    app.router.add_post("/v1/requests", post_request)
