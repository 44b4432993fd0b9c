"""The conventions of the Ministry of Justice's civil-status service, which the agencies reached
with it (residence, social security) share, as their simulators play them: every answer HTTP 200
JSON ``{status: "OK"|"FAIL", errorCode, errorMessage, data}``; each calling unit (``maDonVi``)
known by an API key in a header; and the switches (downtime, latency, injected errors) applied
before any call, an injected error answering code 999 "busy, try later" (or HTTP 503).

Not for: what each service checks and answers (``civil_status``, ``agency``).
"""

from __future__ import annotations

import json
import secrets
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

import structlog
from aiohttp import web
from aiohttp.typedefs import Middleware

from lgsp.simulators.control import Controllable, switched_answer

__all__ = [
    "AUTH",
    "BAD_DATA",
    "BAD_DATA_TYPE",
    "INCOMPLETE",
    "OK",
    "TRY_LATER",
    "WRONG_AGENCY",
    "Refused",
    "SwitchedService",
    "answer",
    "calling_unit",
    "switches_middleware",
    "text",
    "unit_of_key",
]

log = structlog.get_logger(__name__)

OK = 0
AUTH = 100  # no API key, or a key that belongs to no unit
WRONG_AGENCY = 106  # the key belongs to another unit than maDonVi
INCOMPLETE = 200  # a required field is missing or empty
BAD_DATA_TYPE = 302  # a field has the wrong JSON type
BAD_DATA = 500  # a value that cannot be read
TRY_LATER = 999  # the simulators' own: injected by error_rate, transient

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Refused(Exception):
    """A call the service refuses with ``code``; the middleware answers it."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class SwitchedService(Controllable, Protocol):
    calls: Counter[str]


def answer(code: int = OK, message: str = "", data: Any = None) -> web.Response:
    return web.json_response(
        {
            "status": "OK" if code == OK else "FAIL",
            "errorCode": int(code),
            "errorMessage": message or ("Thành công" if code == OK else ""),
            "data": data,
        }
    )


def text(body: Mapping[str, Any], name: str) -> str:
    """The string field ``name`` of ``body``; refused when missing, empty or not a string."""
    value = body.get(name)
    if value is None or value == "":
        raise Refused(INCOMPLETE, f"thiếu trường {name}")
    if not isinstance(value, str):
        raise Refused(BAD_DATA_TYPE, f"{name} phải là chuỗi")
    return value


def unit_of_key(api_keys: Mapping[str, str], key: str) -> str | None:
    """The unit an API key belongs to (compared in constant time, with every unit's key)."""
    found = None
    for unit, expected in api_keys.items():
        if secrets.compare_digest(key.encode(), expected.encode()):
            found = unit
    return found


async def calling_unit(
    request: web.Request, api_keys: Mapping[str, str], header: str
) -> tuple[str, dict[str, Any]]:
    """The calling unit and the JSON body, once the key in ``header`` belongs to the body's
    ``maDonVi``."""
    key = request.headers.get(header, "")
    key_unit = unit_of_key(api_keys, key) if key else None
    if key_unit is None:
        raise Refused(AUTH, "xác thực không thành công")
    try:
        body = json.loads(await request.read())
    except ValueError as exc:
        raise Refused(BAD_DATA, "dữ liệu không phải JSON") from exc
    if not isinstance(body, dict):
        raise Refused(BAD_DATA_TYPE, "dữ liệu phải là một đối tượng JSON")
    unit = text(body, "maDonVi")
    if unit != key_unit:
        raise Refused(WRONG_AGENCY, f"khóa không thuộc đơn vị {unit}")
    return unit, body


def switches_middleware(
    state_of: Callable[[web.Application], SwitchedService], name: str
) -> Middleware:
    """Count each call, apply the switches, and answer a ``Refused`` with its code."""

    @web.middleware
    async def switched(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith("/_simulator/"):
            return await handler(request)
        state = state_of(request.app)
        state.calls[request.path] += 1
        early = await switched_answer(
            request,
            state,
            injected=lambda: answer(TRY_LATER, "Hệ thống đang bận, vui lòng thử lại sau"),
            http_status=503,
        )
        if early is not None:
            return early
        try:
            return await handler(request)
        except Refused as refused:
            log.info(f"{name}.refused", path=request.path, code=int(refused.code))
            return answer(refused.code, refused.message)

    return switched
