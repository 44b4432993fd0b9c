"""The gateway's OpenAPI 3.1 document, served at ``GET /v1/openapi.json``.

Built once per process from the models the gateway reads requests with: the submission union of
``lgsp.schemas`` (each message type's body, as ``SUBMISSION`` validates it) and the operators'
request models. The answers the handlers write are described by the small models below, which
only describe: handlers write plain dicts, and a test holds the two together by checking live
answers against this document. Every error is one ``Problem`` (RFC 9457), as
``application/problem+json``.

Not for: validating anything (the handlers do, with ``SUBMISSION``), the per-type JSON Schemas
vendors download (``lgsp schemas export``), or rendering the page that reads it
(``lgsp.gateway.docs``).
"""

from __future__ import annotations

import functools
import json
from typing import Any

from aiohttp import web
from pydantic.json_schema import models_json_schema

from lgsp import __version__
from lgsp.gateway.answers import ANSWERS, REQUESTS
from lgsp.gateway.problems import PROBLEM_JSON
from lgsp.schemas import MESSAGE_TYPES, SUBMISSION

__all__ = ["OPENAPI_PATH", "openapi_document", "setup_openapi_routes"]

OPENAPI_PATH = "/v1/openapi.json"
_REF = "#/components/schemas/{model}"
Json = dict[str, Any]


# -- components --------------------------------------------------------------------------------


def _union(names: list[str], description: str) -> Json:
    return {
        "description": description,
        "oneOf": [{"$ref": _REF.format(model=n)} for n in names],
        "discriminator": {
            "propertyName": "type",
            "mapping": {t: _REF.format(model=n) for t, n in zip(_types(names), names, strict=True)},
        },
    }


def _types(names: list[str]) -> list[str]:
    by_name = {cls.__name__: t for t, cls in MESSAGE_TYPES.items()}
    return [by_name[n] for n in names]


def _schemas() -> Json:
    submission = SUBMISSION.json_schema(ref_template=_REF)
    schemas: Json = dict(submission.pop("$defs"))
    messages = [c.__name__ for c in MESSAGE_TYPES.values() if not c.request_reply]
    lookups = [c.__name__ for c in MESSAGE_TYPES.values() if c.request_reply]
    own: Json = {
        "Submission": {"description": "Anything a caller may submit, by `type`.", **submission},
        "MessageSubmission": _union(messages, "A message for `POST /v1/messages`, by `type`."),
        "LookupSubmission": _union(lookups, "A lookup for `POST /v1/requests`, by `type`."),
    }
    for name, model in REQUESTS:
        own[name] = {**model.model_json_schema(ref_template=_REF), "title": name}
    keyed, defs = models_json_schema(
        [(model, "serialization") for model in ANSWERS], ref_template=_REF
    )
    own.update(defs.get("$defs", {}))
    for (answer, _), schema in keyed.items():
        own.setdefault(answer.__name__, schema)
    clash = schemas.keys() & own.keys()
    if clash:  # the message models and the answers must not shadow one another
        raise RuntimeError(f"OpenAPI component names used twice: {sorted(clash)}")
    return {**schemas, **own}


_STATUS: dict[int, str] = {
    400: "The body is not readable: not JSON, or not well-formed XML.",
    401: "No API key, or one that belongs to no registered system.",
    403: "This system may not do this (send this type, send for that agency, operate).",
    404: "No such message visible to this system.",
    409: "This `Idempotency-Key` was used for another request.",
    413: "The body is larger than the limit (`LGSP_MAX_BODY_BYTES`, `LGSP_MAX_DOCUMENT_BYTES`).",
    415: "The body's `Content-Type` is not one this call reads.",
    422: "The request is readable but invalid; `errors` names each field and what is wrong.",
    502: "The far side (national platform, ministry) failed to answer.",
    503: "The broker or the journal cannot take the request now; nothing was accepted. Retry.",
    504: "No answer came before the deadline.",
}


def _responses() -> Json:
    problem = {PROBLEM_JSON: {"schema": {"$ref": _REF.format(model="Problem")}}}
    out: Json = {}
    for status, description in _STATUS.items():
        response: Json = {"description": description, "content": problem}
        if status == 401:
            response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
        if status == 503:
            response["headers"] = {"Retry-After": {"schema": {"type": "integer"}}}
        out[str(status)] = response
    return out


# -- paths --------------------------------------------------------------------------------------


def _json(model: str) -> Json:
    return {"application/json": {"schema": {"$ref": _REF.format(model=model)}}}


def _op(
    operation_id: str,
    summary: str,
    *,
    tag: str,
    ok: dict[int, Json],
    errors: tuple[int, ...] = (),
    auth: bool = True,
    description: str = "",
    parameters: list[Json] | None = None,
    body: Json | None = None,
    body_required: bool = True,
) -> Json:
    op: Json = {"operationId": operation_id, "summary": summary, "tags": [tag]}
    if description:
        op["description"] = description
    if not auth:
        op["security"] = []
    if parameters:
        op["parameters"] = parameters
    if body is not None:
        op["requestBody"] = {"required": body_required, "content": body}
    codes = (401, *errors, 503) if auth else errors
    responses: Json = {str(code): answer for code, answer in ok.items()}
    for code in sorted(set(codes)):
        responses[str(code)] = {"$ref": f"#/components/responses/{code}"}
    op["responses"] = responses
    return op


def _answer(description: str, model: str, headers: Json | None = None) -> Json:
    answer: Json = {"description": description, "content": _json(model)}
    if headers:
        answer["headers"] = headers
    return answer


_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "A retry with the same key and body answers the first request's message.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}
_ACCEPTED = _answer(
    "Accepted: in the journal and confirmed by the broker.",
    "Accepted",
    {
        "Location": {"schema": {"type": "string"}, "description": "`/v1/messages/{id}`"},
        "Idempotent-Replayed": {
            "schema": {"type": "string", "enum": ["true"]},
            "description": "Present when this answers an earlier request with the same key.",
        },
    },
)
_SUBMIT_ERRORS = (400, 403, 409, 413, 415, 422)
_OPS_ERRORS = (403, 422)


def _query(name: str, schema: Json, description: str) -> Json:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def _paths() -> Json:
    edxml = {"schema": {"type": "string", "description": "One edXML package (QCVN 102:2016)."}}
    return {
        "/v1/messages": {
            "post": _op(
                "postMessage",
                "Send a message",
                tag="messages",
                description="The sender is the calling system's agency; 202 means the message is "
                "in the journal and confirmed by the broker.",
                parameters=[_IDEMPOTENCY_KEY],
                body=_json("MessageSubmission"),
                ok={202: _ACCEPTED},
                errors=_SUBMIT_ERRORS,
            )
        },
        "/v1/documents": {
            "post": _op(
                "postDocument",
                "Send an edXML package (a document or a status)",
                tag="messages",
                parameters=[_IDEMPOTENCY_KEY],
                body={"application/xml": edxml, "text/xml": edxml},
                ok={202: _ACCEPTED},
                errors=_SUBMIT_ERRORS,
            )
        },
        "/v1/messages/{id}": {
            "get": _op(
                "getMessage",
                "A message's status and history",
                tag="messages",
                description="Only its sender and recipients may read it.",
                parameters=[_ID],
                ok={200: _answer("The message.", "MessageView")},
                errors=(404,),
            )
        },
        "/v1/requests": {
            "post": _op(
                "postRequest",
                "Ask a lookup and wait for its answer",
                tag="requests",
                description="Waits until `deadline`, at most `LGSP_REQUEST_MAX_TIMEOUT` seconds "
                "(`LGSP_REQUEST_TIMEOUT` without one). A lookup names no recipients.",
                body=_json("LookupSubmission"),
                ok={
                    200: _answer(
                        "The answer (`found: false` when there is no record).", "LookupAnswer"
                    )
                },
                errors=(400, 403, 413, 415, 422, 502, 504),
            )
        },
        "/v1/inbox": {
            "get": _op(
                "getInbox",
                "Messages waiting for this system (systems without a webhook)",
                tag="inbox",
                parameters=[
                    _query("limit", {"type": "integer", "default": 50}, "Clamped to 1..500."),
                ],
                ok={200: _answer("The oldest messages not yet acknowledged.", "Inbox")},
                errors=(422,),
            )
        },
        "/v1/inbox/{id}/ack": {
            "post": _op(
                "ackInbox",
                "Take a message out of the inbox",
                tag="inbox",
                parameters=[_ID],
                ok={200: _answer("Acknowledged.", "Acked")},
                errors=(404,),
            )
        },
        "/v1/ops/dead-letters": {
            "get": _op(
                "listDeadLetters",
                "Dead letters, oldest first",
                tag="ops",
                parameters=[
                    _query("type", {"type": "string"}, "Only this message type."),
                    _query("sender", {"type": "string"}, "Only this sending agency."),
                    _query("after", {"type": "string"}, "The `next` of the previous page."),
                    _query("limit", {"type": "integer", "default": 100}, "Clamped to 1..1000."),
                ],
                ok={200: _answer("One page.", "DeadLetters")},
                errors=_OPS_ERRORS,
            )
        },
        "/v1/ops/dead-letters/replay": {
            "post": _op(
                "replayMatching",
                "Replay every dead letter matching a filter",
                tag="ops",
                description="Without a body: every dead letter.",
                body=_json("ReplayFilter"),
                body_required=False,
                ok={202: _answer("How many were replayed.", "ReplayedCount")},
                errors=_OPS_ERRORS,
            )
        },
        "/v1/ops/dead-letters/{id}": {
            "get": _op(
                "showDeadLetter",
                "A dead letter with its attempts and history",
                tag="ops",
                parameters=[_ID],
                ok={200: _answer("The dead letter.", "DeadLetterDetail")},
                errors=(*_OPS_ERRORS, 404),
            )
        },
        "/v1/ops/dead-letters/{id}/replay": {
            "post": _op(
                "replayDeadLetter",
                "Replay a dead letter under the same id",
                tag="ops",
                parameters=[_ID],
                ok={202: _answer("Replayed.", "Replayed")},
                errors=(*_OPS_ERRORS, 404),
            )
        },
        "/v1/ops/dead-letters/{id}/discard": {
            "post": _op(
                "discardDeadLetter",
                "Discard a dead letter, with the reason",
                tag="ops",
                parameters=[_ID],
                body=_json("DiscardRequest"),
                ok={200: _answer("Discarded.", "Discarded")},
                errors=(*_OPS_ERRORS, 404),
            )
        },
        "/v1/ops/endpoints": {
            "get": _op(
                "listEndpoints",
                "Every delivery endpoint's circuit breaker",
                tag="ops",
                ok={200: _answer("The endpoints.", "Endpoints")},
                errors=_OPS_ERRORS,
            )
        },
        "/healthz": {
            "get": _op(
                "healthz", "Liveness", tag="probes", auth=False, ok={200: _answer("Up.", "Health")}
            )
        },
        "/readyz": {
            "get": _op(
                "readyz",
                "Readiness: the broker and the journal are reachable",
                tag="probes",
                auth=False,
                ok={
                    200: _answer("Ready.", "Readiness"),
                    503: _answer("Not ready, or draining before a stop.", "Readiness"),
                },
            )
        },
        **{
            path: {"get": _op(op_id, summary, tag=tag, auth=False, ok={200: _text(what, media)})}
            for path, op_id, summary, tag, what, media in _PLAIN
        },
    }


# (path, operationId, summary, tag, what it answers, media type): public, one answer, no model.
_PLAIN = (
    (
        "/metrics",
        "metrics",
        "Prometheus metrics",
        "probes",
        "Prometheus text format.",
        "text/plain",
    ),
    (OPENAPI_PATH, "openapi", "This document", "spec", "OpenAPI 3.1.", "application/json"),
    ("/docs", "docs", "This document as a page to read", "spec", "HTML.", "text/html"),
)


def _text(description: str, media_type: str) -> Json:
    kind = "object" if media_type == "application/json" else "string"
    return {"description": description, "content": {media_type: {"schema": {"type": kind}}}}


@functools.cache
def _document() -> str:
    document = {
        "openapi": "3.1.0",
        "info": {
            "title": "lgsp gateway",
            "version": __version__,
            "description": "The one door between a province's systems and the national axes.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "tags": [
            {"name": "messages", "description": "Sending messages and following them."},
            {"name": "requests", "description": "Lookups answered while you wait."},
            {"name": "inbox", "description": "Pull delivery, for systems without a webhook."},
            {"name": "ops", "description": "Operators only."},
            {"name": "probes", "description": "Health, readiness, metrics: no key."},
            {"name": "spec", "description": "This document."},
        ],
        "paths": _paths(),
        "components": {
            "schemas": _schemas(),
            "responses": _responses(),
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The API key of a registered system (`lgsp systems add`).",
                }
            },
        },
    }
    return json.dumps(document, ensure_ascii=False)


def openapi_document() -> Json:
    """The document, a fresh copy each call (built once per process)."""
    document: Json = json.loads(_document())
    return document


def setup_openapi_routes(app: web.Application) -> None:
    """Serve the document at ``/v1/openapi.json``; no key needed."""
    body = _document().encode()

    async def get_openapi(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    app.router.add_get(OPENAPI_PATH, get_openapi)
