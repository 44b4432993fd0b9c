"""RFC 9457 problem details: every error the gateway answers is one of these.

Not for: deciding which error applies (handlers and middlewares raise ``LGSPError`` subclasses;
``problem_for`` maps them here, in one table).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from aiohttp import web

from lgsp.errors import (
    AuthenticationFailed,
    FarSideFailed,
    FieldError,
    IdempotencyConflict,
    LGSPError,
    MalformedRequest,
    NotFound,
    NotPermitted,
    PayloadTooLarge,
    RequestFailed,
    RequestTimeout,
    RoutingError,
    Unavailable,
    UnsupportedMediaType,
    ValidationFailed,
)

__all__ = [
    "PROBLEM_JSON",
    "problem",
    "problem_for",
]

PROBLEM_JSON = "application/problem+json"
_BASE = "https://lgsp.example/problems/"


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    slug: str,
    errors: Sequence[FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> web.Response:
    body: dict[str, Any] = {
        "type": _BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        **extra,
    }
    if errors is not None:
        body["errors"] = list(errors)
    return web.Response(
        status=status,
        body=json.dumps(body, ensure_ascii=False, default=str).encode(),
        content_type=PROBLEM_JSON,
        headers=headers,
    )


# (exception class, status, title, slug): the first match wins, so subclasses come first.
_TABLE: tuple[tuple[type[LGSPError], int, str, str], ...] = (
    (MalformedRequest, 400, "Malformed request", "malformed"),
    (UnsupportedMediaType, 415, "Unsupported media type", "unsupported-media-type"),
    (PayloadTooLarge, 413, "Payload too large", "too-large"),
    (ValidationFailed, 422, "Invalid message", "invalid"),
    (AuthenticationFailed, 401, "Unauthorized", "unauthorized"),
    (NotPermitted, 403, "Forbidden", "forbidden"),
    (NotFound, 404, "Not found", "not-found"),
    (IdempotencyConflict, 409, "Idempotency conflict", "idempotency-conflict"),
    (RoutingError, 422, "Unroutable message", "unroutable"),
    (RequestTimeout, 504, "Gateway timeout", "request-timeout"),
    (FarSideFailed, 502, "Bad gateway", "far-side-failed"),
    (RequestFailed, 502, "Bad gateway", "request-failed"),
    (Unavailable, 503, "Service unavailable", "unavailable"),
)


def problem_for(exc: LGSPError) -> web.Response:
    for cls, status, title, slug in _TABLE:
        if isinstance(exc, cls):
            errors = exc.errors if isinstance(exc, ValidationFailed) else None
            headers: dict[str, str] = {}
            if status == 401:
                headers["WWW-Authenticate"] = 'Bearer realm="lgsp"'
            if status == 503:
                headers["Retry-After"] = "5"
            detail = exc.detail if isinstance(exc, ValidationFailed) else str(exc)
            return problem(status, title, detail, slug=slug, errors=errors, headers=headers)
    return problem(500, "Internal error", "unexpected error", slug="internal")
