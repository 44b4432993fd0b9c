"""HTTP handlers of the v1 API and the probes: parse, call, answer."""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from aiohttp import web

from lgsp.blobs import BlobTooLarge
from lgsp.errors import (
    JournalUnavailable,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
)
from lgsp.gateway.keys import ACCEPTOR, BLOBS, BUS, JOURNAL, LIFECYCLE, SETTINGS
from lgsp.gateway.responses import caller, json_response
from lgsp.intake import Accepted, Admitted, admit_edxml, admit_json
from lgsp.journal import HistoryMark, LegState, MessageRecord, MessageStatus

__all__ = ["read_body", "setup_routes"]

_MAX_IDEMPOTENCY_KEY = 255
_XML = ("application/xml", "text/xml")
_PARSE_INLINE = 256 * 1024


def _check_content_type(request: web.Request, content_types: tuple[str, ...]) -> None:
    if request.content_type not in content_types:
        expected = " or ".join(content_types)
        raise UnsupportedMediaType(
            f"this call reads {expected}, not {request.content_type or 'an untyped body'}",
            [
                {
                    "loc": ["header", "Content-Type"],
                    "msg": f"expected {expected}",
                    "type": "content_type",
                }
            ],
        )


def _too_large(limit: int, size: int | None = None) -> PayloadTooLarge:
    said = f"the body is {size} bytes" if size is not None else "the body is larger"
    return PayloadTooLarge(
        f"{said}; the limit is {limit} bytes",
        [{"loc": ["body"], "msg": f"at most {limit} bytes", "type": "too_large"}],
    )


def _check_length(request: web.Request, limit: int) -> None:
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(limit, request.content_length)


async def read_body(request: web.Request, *, content_types: tuple[str, ...], limit: int) -> bytes:
    """The request's body, once its content type and size pass; every body-taking call of the
    gateway reads through here (415, 413, chunked bodies counted as they come)."""
    _check_content_type(request, content_types)
    _check_length(request, limit)
    if request.content_length is not None:
        try:
            return await request.read()  # bounded by the app's client_max_size as well
        except web.HTTPRequestEntityTooLarge as exc:
            raise _too_large(limit) from exc
    # Chunked: count as it comes, and stop reading at the limit.
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _idempotency_key(request: web.Request) -> str | None:
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
    return key


def _accepted(accepted: Accepted) -> web.Response:
    headers = {"Location": f"/v1/messages/{accepted.id}"}
    if accepted.replayed:
        headers["Idempotent-Replayed"] = "true"
    return json_response(
        {"id": accepted.id, "status": accepted.status}, status=202, headers=headers
    )


async def post_message(request: web.Request) -> web.Response:
    system = await caller(request)
    key = _idempotency_key(request)
    raw = await read_body(
        request, content_types=("application/json",), limit=request.app[SETTINGS].max_body_bytes
    )
    admitted = admit_json(system, raw)
    return _accepted(await request.app[ACCEPTOR].commit(system, admitted, idempotency_key=key))


async def post_document(request: web.Request) -> web.Response:
    """One edXML package: a document (new, update, replace, revoke) or a status package."""
    system = await caller(request)
    key = _idempotency_key(request)
    settings = request.app[SETTINGS]
    limit = settings.max_document_bytes
    admit = functools.partial(
        admit_edxml, system, invalid_signature=settings.invalid_signature, max_bytes=limit
    )
    length = request.content_length
    if length is not None and length <= settings.blob_threshold_bytes:
        raw = await read_body(request, content_types=_XML, limit=limit)
        admitted = await asyncio.to_thread(admit, raw) if length > _PARSE_INLINE else admit(raw)
    else:
        # Large, or of unknown length: straight to the blob store, never whole in memory; it is
        # parsed from there, off the event loop so other requests keep flowing.
        _check_content_type(request, _XML)
        _check_length(request, limit)
        blobs = request.app[BLOBS]
        try:
            ref, _ = await blobs.put_stream(request.content.iter_chunked(1 << 20), limit=limit)
        except BlobTooLarge as exc:
            raise _too_large(limit) from exc

        def admit_stored() -> Admitted:
            with blobs.open(ref) as stored:
                return admit(stored, stored_as=ref)

        admitted = await asyncio.to_thread(admit_stored)
    return _accepted(await request.app[ACCEPTOR].commit(system, admitted, idempotency_key=key))


def _legs_view(record: MessageRecord) -> list[dict[str, Any]]:
    """Where each leg of a joined civil-status request stands: the last word of its ``leg``
    events, with the results gathered on the way (a failure's reason only while it stands)."""
    legs: dict[str, dict[str, Any]] = {}
    for event in record.events:
        if event.status != HistoryMark.LEG or not event.detail or "leg" not in event.detail:
            continue
        detail = dict(event.detail)
        leg = legs.setdefault(str(detail.pop("leg")), {})
        if detail.get("state") not in (LegState.FAILED, LegState.REFUSED):
            leg.pop("reason", None)
            leg.pop("code", None)
        found = detail.pop("result", None)
        result = {**leg.get("result", {}), **(found if isinstance(found, dict) else {})}
        leg.update(detail, at=event.at.isoformat(), **({"result": result} if result else {}))
    return [{"leg": name, **leg} for name, leg in legs.items()]


def _message_view(record: MessageRecord) -> dict[str, Any]:
    legs = _legs_view(record)
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
        **({"legs": legs} if legs else {}),
    }


async def get_message(request: web.Request) -> web.Response:
    system = await caller(request)
    message_id = request.match_info["id"]
    record = await request.app[JOURNAL].get(message_id)
    # Rejected messages were never accepted; strangers are not told a message exists.
    if (
        record is None
        or record.status == MessageStatus.REJECTED
        or (system.agency != record.sender and system.agency not in record.recipients)
    ):
        raise NotFound(f"no message {message_id} visible to this system")
    return json_response(_message_view(record))


async def healthz(request: web.Request) -> web.Response:
    return json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    if request.app[LIFECYCLE].draining:
        return json_response({"status": "draining", "checks": {}}, status=503)
    checks = {"broker": "up" if request.app[BUS].is_connected() else "down"}
    try:
        await request.app[JOURNAL].ping()
        checks["journal"] = "up"
    except JournalUnavailable:
        checks["journal"] = "down"
    ready = all(v == "up" for v in checks.values())
    return json_response(
        {"status": "ready" if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
    )


def setup_routes(app: web.Application) -> None:
    app.router.add_post("/v1/messages", post_message)
    app.router.add_post("/v1/documents", post_document)
    app.router.add_get("/v1/messages/{id}", get_message)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
