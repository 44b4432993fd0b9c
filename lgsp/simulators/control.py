"""The control endpoints every simulator has: ``POST /_simulator/config`` flips its switches
(latency, error rate, downtime) at run time, ``GET /_simulator/state`` shows them and what it
holds. Not for: the simulated APIs themselves."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, Protocol

import structlog
from aiohttp import web

from lgsp.simulators.vdxp_state import Switches

__all__ = ["Controllable", "setup_control_routes", "switched_answer"]

log = structlog.get_logger(__name__)


class Controllable(Protocol):
    switches: Switches

    def describe(self) -> dict[str, Any]: ...

    def inject_error(self) -> bool: ...


async def switched_answer(
    request: web.Request,
    state: Controllable,
    *,
    injected: Callable[[], web.Response],
    http_status: int,
) -> web.Response | None:
    """What the switches answer instead of the simulated API, or ``None`` to go on: 503 while
    ``down``; after ``latency``, an injected error for the ``error_rate`` share of calls
    (``injected()``, the simulator's own "try later", or a bare ``http_status`` with
    ``error_kind="http"``). The control endpoints are never switched."""
    if request.path.startswith("/_simulator/"):
        return None
    if state.switches.down:
        return web.Response(status=503, text="Service Unavailable", headers={"Retry-After": "30"})
    if state.switches.latency > 0:
        await asyncio.sleep(state.switches.latency)
    if state.inject_error():
        if state.switches.error_kind == "http":
            return web.Response(status=http_status, text=HTTPStatus(http_status).phrase)
        return injected()
    return None


def setup_control_routes(
    app: web.Application, state_of: Callable[[web.Application], Controllable], name: str
) -> None:
    """Add the control endpoints; ``state_of(app)`` is the simulator's state."""

    async def change_switches(request: web.Request) -> web.Response:
        state = state_of(request.app)
        try:
            changes = await request.json()
            if not isinstance(changes, dict):
                raise ValueError("the body must be a JSON object")
            state.switches.update(changes)
        except ValueError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        log.info(f"{name}.switches", **state.switches.describe())
        return web.json_response(state.switches.describe())

    async def show_state(request: web.Request) -> web.Response:
        return web.json_response(state_of(request.app).describe())

    app.router.add_post("/_simulator/config", change_switches)
    app.router.add_get("/_simulator/state", show_state)
