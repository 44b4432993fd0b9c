"""JSON answers of the gateway (problems have their own module)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from lgsp.gateway.keys import AUTHENTICATOR
from lgsp.journal import System

__all__ = ["caller", "json_response"]


def json_response(
    data: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=json.dumps(data, ensure_ascii=False, default=str).encode(),
        status=status,
        content_type="application/json",
        headers=headers,
    )


async def caller(request: web.Request) -> System:
    """The registered system whose key the request carries (401 otherwise)."""
    return await request.app[AUTHENTICATOR].authenticate(request.headers.get("Authorization"))
