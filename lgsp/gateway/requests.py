"""``POST /v1/requests``: synchronous request-reply (lookups), answered by the axis's adapter.

A lookup is checked as ``POST /v1/messages`` checks a message (the caller's key, its right to the
type, the body's content type, size and schema), sent through the bus to the axis's request queue,
and the caller waits for the adapter's answer: up to its ``deadline``, never longer than
``LGSP_REQUEST_MAX_TIMEOUT``, or ``LGSP_REQUEST_TIMEOUT`` when it sets none. 200 with the answer
(``found`` says whether there was one), 502 when the far side failed, 504 when no answer came in
time, 503 when the broker cannot take the request.

Lookups are not journaled: nothing is delivered later or retried, and what they carry (personal ID
numbers) is kept nowhere. Their one trace is a log line per lookup with its id, type, outcome and
duration, never its body, and the ``lgsp_lookups_total`` and ``lgsp_lookup_duration_seconds``
metrics by type and outcome.

Not for: messages (``lgsp.gateway.handlers``) or answering lookups (an adapter that is an
``lgsp.adapters.Answerer``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from aiohttp import web
from pydantic import BaseModel, ConfigDict, ValidationError

from lgsp.bus import Bus, OutgoingMessage, Reply, ReplyOutcome
from lgsp.bus.replies import DEADLINE_HEADER
from lgsp.errors import FarSideFailed, RequestTimeout, Unavailable, ValidationFailed
from lgsp.gateway.admission import check_right
from lgsp.gateway.handlers import read_body
from lgsp.gateway.keys import BUS, METRICS, SETTINGS
from lgsp.gateway.problems import MalformedRequest, field_errors
from lgsp.gateway.responses import caller, json_response
from lgsp.ids import new_message_id
from lgsp.journal import System
from lgsp.metrics import Metrics
from lgsp.schemas import MESSAGE_TYPES, SUBMISSION, Submission

__all__ = ["Lookup", "admit_lookup", "post_request", "setup_request_routes"]

log = structlog.get_logger("lgsp.gateway")


@dataclass(frozen=True, slots=True)
class Lookup:
    """A lookup that passed every check, ready to be asked."""

    type: str
    payload: bytes
    """The caller's bytes, as adapters read them (``read_envelope``)."""
    within: float
    """Seconds to wait for the answer."""
    deadline: datetime
    """When nobody waits for the answer any more."""


class _TypeOnly(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: str


def admit_lookup(
    system: System, raw: bytes, *, now: datetime, default_wait: float, max_wait: float
) -> Lookup:
    """The lookup in ``raw``; 400/403/422 errors name what is wrong."""
    try:
        submission: Submission = SUBMISSION.validate_json(raw)
    except ValidationError as exc:
        errors = field_errors(exc)
        if any(e["type"] == "json_invalid" for e in errors):
            raise MalformedRequest(
                f"the body is not valid JSON: {errors[0]['msg']}", errors
            ) from exc
        # A caller learns nothing about a type's schema until it may send that type; a message
        # type is told where it goes rather than which of its fields are missing.
        message_type = _type_of(raw)
        if message_type in MESSAGE_TYPES:
            check_right(system, message_type)
            if not MESSAGE_TYPES[message_type].request_reply:
                raise _not_a_lookup(message_type) from exc
        raise ValidationFailed(
            f"the request does not match its schema ({len(errors)} error(s))", errors
        ) from exc
    check_right(system, submission.type)
    if not submission.request_reply:
        raise _not_a_lookup(submission.type)
    if submission.recipients:
        raise ValidationFailed(
            "a lookup names no recipients: its axis knows where it goes",
            [{"loc": ["recipients"], "msg": "leave it out", "type": "recipients_not_allowed"}],
        )
    within = default_wait
    if submission.deadline is not None:
        left = (submission.deadline - now).total_seconds()
        if left <= 0:
            raise ValidationFailed(
                "the deadline has already passed",
                [{"loc": ["deadline"], "msg": "must be in the future", "type": "deadline_passed"}],
            )
        within = min(left, max_wait)
    return Lookup(submission.type, raw, within, now + timedelta(seconds=within))


def _type_of(raw: bytes) -> str | None:
    try:
        return _TypeOnly.model_validate_json(raw).type
    except ValidationError:
        return None


def _not_a_lookup(message_type: str) -> ValidationFailed:
    return ValidationFailed(
        f"{message_type} is not answered synchronously: POST it to /v1/messages",
        [{"loc": ["type"], "msg": "not a request-reply type", "type": "not_request_reply"}],
    )


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
        headers={
            "x-lgsp-sender": system.agency,
            "x-lgsp-system": system.id,
            # The name work messages carry it under, so either reading finds it.
            "x-lgsp-sender-system": system.id,
            "x-lgsp-created-at": now.isoformat(),
            DEADLINE_HEADER: lookup.deadline.isoformat(),
        },
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
