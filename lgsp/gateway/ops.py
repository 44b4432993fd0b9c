"""The operators' HTTP API: ``/v1/ops/dead-letters``. Only systems registered as operators
(``lgsp operators add``) may call it; anyone else gets 403."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lgsp.errors import NotPermitted, ValidationFailed
from lgsp.gateway.keys import AUTHENTICATOR, DEAD_LETTERS, JOURNAL
from lgsp.gateway.responses import json_response
from lgsp.intake.fields import field_errors
from lgsp.journal import MessageStatus, System

__all__ = ["DiscardRequest", "ReplayFilter", "setup_ops_routes"]


class DiscardRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)


class ReplayFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: str | None = None
    sender: str | None = None


async def _operator(request: web.Request) -> System:
    system = await request.app[AUTHENTICATOR].authenticate(request.headers.get("Authorization"))
    if not system.operator:
        raise NotPermitted(f"system {system.id!r} is not an operator")
    return system


async def _body(request: web.Request, model: type[BaseModel]) -> Any:
    raw = await request.read()
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        raise ValidationFailed("the request body is not valid", field_errors(exc)) from exc


async def list_dead_letters(request: web.Request) -> web.Response:
    await _operator(request)
    query = request.query
    try:
        # Clamped, as the inbox's: below 1 an empty page passed for a full one (a 500).
        limit = min(max(int(query.get("limit", "100")), 1), 1000)
    except ValueError as exc:
        raise ValidationFailed(
            "limit must be a number",
            [{"loc": ["query", "limit"], "msg": "an integer", "type": "int_parsing"}],
        ) from exc
    letters = await request.app[DEAD_LETTERS].list(
        type=query.get("type"), sender=query.get("sender"), after=query.get("after"), limit=limit
    )
    items = [letter.view() for letter in letters]
    return json_response({"items": items, "next": items[-1]["id"] if len(items) == limit else None})


async def show_dead_letter(request: web.Request) -> web.Response:
    await _operator(request)
    letter = await request.app[DEAD_LETTERS].show(request.match_info["id"])
    view = letter.view()
    view["attempt_log"] = [
        {
            "at": a.at.isoformat(),
            "recipient": a.recipient,
            "target": a.target,
            "outcome": a.outcome,
            "status_code": a.status_code,
            "error": a.error,
            "duration_ms": a.duration_ms,
        }
        for a in letter.attempts
    ]
    view["events"] = [
        {"status": e.status, "at": e.at.isoformat(), "recipient": e.recipient, "detail": e.detail}
        for e in letter.message.events
    ]
    return json_response(view)


async def replay_dead_letter(request: web.Request) -> web.Response:
    operator = await _operator(request)
    message_id = request.match_info["id"]
    await request.app[DEAD_LETTERS].replay(message_id, operator=operator.id)
    return json_response({"id": message_id, "status": MessageStatus.REPLAYED}, status=202)


async def discard_dead_letter(request: web.Request) -> web.Response:
    operator = await _operator(request)
    body: DiscardRequest = await _body(request, DiscardRequest)
    message_id = request.match_info["id"]
    await request.app[DEAD_LETTERS].discard(message_id, operator=operator.id, reason=body.reason)
    return json_response({"id": message_id, "status": MessageStatus.DISCARDED})


async def replay_matching(request: web.Request) -> web.Response:
    operator = await _operator(request)
    wanted: ReplayFilter = await _body(request, ReplayFilter)
    count = await request.app[DEAD_LETTERS].replay_matching(
        operator=operator.id, type=wanted.type, sender=wanted.sender
    )
    return json_response({"replayed": count}, status=202)


async def list_endpoints(request: web.Request) -> web.Response:
    """Each delivery endpoint's circuit breaker, as the adapters last recorded it."""
    await _operator(request)
    return json_response({"items": await request.app[JOURNAL].endpoints()})


def setup_ops_routes(app: web.Application) -> None:
    app.router.add_get("/v1/ops/endpoints", list_endpoints)
    app.router.add_get("/v1/ops/dead-letters", list_dead_letters)
    app.router.add_post("/v1/ops/dead-letters/replay", replay_matching)
    app.router.add_get("/v1/ops/dead-letters/{id}", show_dead_letter)
    app.router.add_post("/v1/ops/dead-letters/{id}/replay", replay_dead_letter)
    app.router.add_post("/v1/ops/dead-letters/{id}/discard", discard_dead_letter)
