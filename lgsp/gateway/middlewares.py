"""Middlewares: request context and the one log line per request; errors → problem+json; the
HTTP metrics of each request.

Not for: authentication (handlers call the ``Authenticator``: some routes are public).
"""

from __future__ import annotations

import time

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler

from lgsp.errors import LGSPError
from lgsp.gateway.keys import METRICS
from lgsp.gateway.problems import problem, problem_for
from lgsp.ids import new_request_id
from lgsp.metrics import UNMATCHED

__all__ = [
    "error_middleware",
    "metrics_middleware",
    "request_context_middleware",
    "setup_middlewares",
]

log = structlog.get_logger("lgsp.gateway")

_QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
_SUBMISSIONS = frozenset({"/v1/messages", "/v1/documents"})


def _route(request: web.Request) -> str:
    """The matched route's template: a label that never carries an id from the path."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else UNMATCHED


@web.middleware
async def metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count and time every request by route template and status; count refused submissions."""
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:  # what the error middleware lets through (< 400)
        status = exc.status
        raise
    finally:
        route = _route(request)
        metrics = request.app[METRICS]
        metrics.http_request(request.method, route, status, time.perf_counter() - started)
        refused = 400 <= status < 500 or status == 503
        if refused and request.method == "POST" and route in _SUBMISSIONS:
            metrics.refused(status)


@web.middleware
async def request_context_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Bind a request id for every log line of this request; write the canonical line."""
    request_id = request.headers.get("X-Request-Id") or new_request_id()
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=request_id[:64])
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        response.headers["X-Request-Id"] = request_id[:64]
        return response
    finally:
        if request.path not in _QUIET_PATHS or status >= 400:
            log.info(
                "request",
                method=request.method,
                path=request.path,
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
            )


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every error leaves as problem+json; an unexpected one is logged and answered 500."""
    try:
        return await handler(request)
    except LGSPError as exc:
        return problem_for(exc)
    except web.HTTPRequestEntityTooLarge as exc:
        return problem(413, "Payload too large", exc.text or "body too large", slug="too-large")
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        headers = {k: v for k, v in exc.headers.items() if k.lower() in {"allow", "retry-after"}}
        return problem(
            exc.status,
            exc.reason,
            exc.text or exc.reason,
            slug=f"http-{exc.status}",
            headers=headers,
        )
    except Exception:
        log.exception("unhandled_error", path=request.path)
        return problem(500, "Internal error", "an unexpected error; it was logged", slug="internal")


def setup_middlewares(app: web.Application) -> None:
    app.middlewares.append(metrics_middleware)
    app.middlewares.append(request_context_middleware)
    app.middlewares.append(error_middleware)
