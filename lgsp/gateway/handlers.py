"""HTTP handlers of the v1 API and the probes: parse, call, answer."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from lgsp.errors import JournalUnavailable, NotFound, ValidationFailed
from lgsp.gateway.keys import ACCEPTOR, AUTHENTICATOR, BUS, JOURNAL, SETTINGS
from lgsp.gateway.problems import PayloadTooLarge, UnsupportedMediaType
from lgsp.journal import MessageRecord, System

__all__ = ["setup_routes"]

_MAX_IDEMPOTENCY_KEY = 255


async def _caller(request: web.Request) -> System:
    return await request.app[AUTHENTICATOR].authenticate(request.headers.get("Authorization"))


async def _read_body(request: web.Request, *, content_type: str) -> bytes:
    if request.content_type != content_type:
        raise UnsupportedMediaType(
            f"this call reads {content_type}, not {request.content_type or 'an untyped body'}",
            [
                {
                    "loc": ["header", "Content-Type"],
                    "msg": f"expected {content_type}",
                    "type": "content_type",
                }
            ],
        )
    limit = request.app[SETTINGS].max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(
            f"the body is {request.content_length} bytes; the limit is {limit}",
            [{"loc": ["body"], "msg": f"at most {limit} bytes", "type": "too_large"}],
        )
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge as exc:
        raise PayloadTooLarge(
            f"the body is larger than the limit of {limit} bytes",
            [{"loc": ["body"], "msg": f"at most {limit} bytes", "type": "too_large"}],
        ) from exc


def _json(data: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        body=json.dumps(data, ensure_ascii=False, default=str).encode(),
        status=status,
        content_type="application/json",
        headers=headers,
    )


async def post_message(request: web.Request) -> web.Response:
    system = await _caller(request)
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 0 < len(key) <= _MAX_IDEMPOTENCY_KEY:
        raise ValidationFailed(
            "Idempotency-Key must be 1 to 255 characters",
            [
                {
                    "loc": ["header", "Idempotency-Key"],
                    "msg": "1 to 255 characters",
                    "type": "string_too_long",
                }
            ],
        )
    raw = await _read_body(request, content_type="application/json")
    accepted = await request.app[ACCEPTOR].accept(system, raw, idempotency_key=key)
    location = f"/v1/messages/{accepted.id}"
    headers = {"Location": location}
    if accepted.replayed:
        headers["Idempotent-Replayed"] = "true"
    return _json({"id": accepted.id, "status": accepted.status}, status=202, headers=headers)


def _message_view(record: MessageRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "type": record.type,
        "sender": record.sender,
        "recipients": list(record.recipients),
        "correlation_id": record.correlation_id,
        "status": record.status,
        "created_at": record.created_at.isoformat(),
        "events": [
            {
                "status": e.status,
                "at": e.at.isoformat(),
                **({"recipient": e.recipient} if e.recipient else {}),
                **({"detail": e.detail} if e.detail else {}),
            }
            for e in record.events
        ],
    }


async def get_message(request: web.Request) -> web.Response:
    system = await _caller(request)
    message_id = request.match_info["id"]
    record = await request.app[JOURNAL].get(message_id)
    # Rejected messages were never accepted; strangers are not told a message exists.
    if (
        record is None
        or record.status == "rejected"
        or (system.agency != record.sender and system.agency not in record.recipients)
    ):
        raise NotFound(f"no message {message_id} visible to this system")
    return _json(_message_view(record))


async def healthz(request: web.Request) -> web.Response:
    return _json({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    checks = {"broker": "up" if request.app[BUS].is_connected() else "down"}
    try:
        await request.app[JOURNAL].ping()
        checks["journal"] = "up"
    except JournalUnavailable:
        checks["journal"] = "down"
    ready = all(v == "up" for v in checks.values())
    return _json(
        {"status": "ready" if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
    )


def setup_routes(app: web.Application) -> None:
    app.router.add_post("/v1/messages", post_message)
    app.router.add_get("/v1/messages/{id}", get_message)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
