"""The national document axis (VDXP) as a small aiohttp app, answering like its SDK expects.

Every axis call is ``POST /{operation}`` (``GET /countReceiveEdoc``) with its parameters in
signed ``XroadVnpt-*`` headers (``lgsp.adapters.vdxp.signing``): ``sendEdoc`` (raw edXML body,
document or status package: both share storage; recipients from the package, see
``lgsp.simulators.vdxp_state``), ``getReceivedEdocList`` and ``getSentEdocList`` (by
``servicetype``), ``getEdoc`` (``data`` = the package in base64), ``updateStatus`` (``done`` takes
it off the caller's received list, ``fail`` and ``processing`` keep it there),
``getAgenciesList`` and ``countReceiveEdoc``. Answers are JSON ``{status, ErrorCode, ErrorDesc,
data, DocId}``, HTTP 200 even when ``status`` is ``FAIL``. ``ErrorCode`` values (the axis's own are
not public; these are lgsp's, shared with the client as ``VdxpErrorCode``):

====  ==========================================================================
0     success
101   a required ``XroadVnpt-*`` header is missing or malformed (or not signed)
102   ``XroadVnpt-systemid`` is not a system registered on the axis
103   bad signature: ``sign-header`` / ``sign-header-key`` / ``hash-header`` mismatch
104   ``XroadVnpt-hash-file`` is not the SHA-256 of the body
105   unknown ``docId`` (or one the caller neither sent nor receives)
106   the body is not an edXML package naming a recipient
107   a recipient agency is not registered on the axis
108   ``XroadVnpt-from`` is not an agency (or the id) of the calling system
999   injected trouble (``error_rate`` with ``error_kind="fail"``): try again later
====  ==========================================================================

Switches (``VdxpState.switches``, or ``POST /_simulator/config`` with a JSON object of
``latency``, ``error_rate``, ``error_kind``, ``down``): ``down`` answers every axis call
``503 Service Unavailable`` at once, as the front proxy does when the axis is down (a refused
connection would also stop a test's own control calls); otherwise ``latency`` delays each call,
then ``error_rate`` fails that share of calls (FAIL 999, or HTTP 500 with ``error_kind="http"``).
``GET /_simulator/state`` shows the switches and stored packages. ``/_simulator/*`` ignores the
switches. The timestamp is checked for its form, not its age.

Not for: production, persistence (state lives in memory) or edXML validation.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import structlog
from aiohttp import web

from lgsp.adapters.vdxp.client import VdxpErrorCode
from lgsp.adapters.vdxp.signing import HEADER_PREFIX, verify_signed_headers
from lgsp.simulators.control import setup_control_routes, switched_answer
from lgsp.simulators.serving import serve_app
from lgsp.simulators.vdxp_state import VdxpConfig, VdxpState, VdxpSystem, recipients_of

__all__ = ["VDXP_STATE", "create_vdxp_app", "run_vdxp_simulator"]

log = structlog.get_logger(__name__)

VDXP_STATE = web.AppKey("vdxp_state", VdxpState)

_SERVICE_MESSAGE = {"eDoc": "edoc", "status": "status"}
_TRANSPORT_STATUSES = ("done", "fail", "processing")
_PROBLEM_CODES = {
    "missing_header": VdxpErrorCode.MISSING_HEADER,
    "bad_signature": VdxpErrorCode.BAD_SIGNATURE,
    "hash_mismatch": VdxpErrorCode.HASH_MISMATCH,
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class _Refused(Exception):
    """A call the axis answers with ``status: FAIL``."""

    def __init__(self, code: VdxpErrorCode, desc: str) -> None:
        super().__init__(desc)
        self.code = code
        self.desc = desc


def _answer(
    code: VdxpErrorCode = VdxpErrorCode.OK,
    desc: str = "",
    *,
    data: Any = None,
    doc_id: str | None = None,
) -> web.Response:
    body: dict[str, Any] = {
        "status": "OK" if code is VdxpErrorCode.OK else "FAIL",
        "ErrorCode": str(code),
        "ErrorDesc": desc or ("Success" if code is VdxpErrorCode.OK else ""),
        "data": data,
    }
    if doc_id is not None:
        body["DocId"] = doc_id
    return web.json_response(body)


@web.middleware
async def _switches(request: web.Request, handler: Handler) -> web.StreamResponse:
    early = await switched_answer(
        request,
        request.app[VDXP_STATE],
        injected=lambda: _answer(VdxpErrorCode.TRY_LATER, "System busy, please try again later"),
        http_status=500,
    )
    if early is not None:
        return early
    try:
        return await handler(request)
    except _Refused as refused:
        log.info("vdxp.refused", path=request.path, code=str(refused.code), desc=refused.desc)
        return _answer(refused.code, refused.desc)


def _header(request: web.Request, name: str) -> str:
    value = request.headers.get(HEADER_PREFIX + name, "").strip()
    if not value:
        raise _Refused(VdxpErrorCode.MISSING_HEADER, f"missing header {HEADER_PREFIX}{name}")
    return value


def _caller(
    request: web.Request, *, signed: tuple[str, ...] = (), body: bytes | None = None
) -> tuple[str, VdxpSystem]:
    """The calling system, once its signature (and for sendEdoc the body's hash) checks out."""
    system_id = _header(request, "systemid")
    system = request.app[VDXP_STATE].system(system_id)
    if system is None:
        raise _Refused(VdxpErrorCode.UNKNOWN_SYSTEM, f"unknown system {system_id}")
    problem = verify_signed_headers(
        request.headers, system.secret, body, required=("systemid", "timestamp", *signed)
    )
    if problem is not None:
        raise _Refused(_PROBLEM_CODES[problem.kind], problem.detail)
    return system_id, system


def _service_type(request: web.Request) -> str:
    service_type = _header(request, "servicetype")
    if service_type not in _SERVICE_MESSAGE:
        raise _Refused(VdxpErrorCode.MISSING_HEADER, "servicetype must be eDoc or status")
    message_type = request.headers.get(HEADER_PREFIX + "messagetype")
    if message_type and message_type != _SERVICE_MESSAGE[service_type]:
        raise _Refused(
            VdxpErrorCode.MISSING_HEADER,
            f"messagetype {message_type} does not go with servicetype {service_type}",
        )
    return service_type


def _service_type_if_any(request: web.Request) -> str | None:
    if not request.headers.get(HEADER_PREFIX + "servicetype"):
        return None
    return _service_type(request)


async def send_edoc(request: web.Request) -> web.Response:
    state = request.app[VDXP_STATE]
    package = await request.read()
    system_id, system = _caller(
        request, signed=("servicetype", "messagetype", "from"), body=package
    )
    service_type = _service_type(request)
    sender = _header(request, "from")
    if sender != system_id and sender not in system.agencies:
        raise _Refused(VdxpErrorCode.NOT_PERMITTED, f"{sender} is not an agency of {system_id}")
    try:
        recipients = recipients_of(package)
    except ValueError as exc:
        raise _Refused(VdxpErrorCode.BAD_PACKAGE, str(exc)) from exc
    unknown = [code for code in recipients if code not in state.agency_system]
    if unknown:
        raise _Refused(
            VdxpErrorCode.UNKNOWN_AGENCY, f"not registered on the axis: {', '.join(unknown)}"
        )
    doc = state.store(
        sender_system=system_id,
        sender=sender,
        recipients=recipients,
        service_type=service_type,
        message_type=_SERVICE_MESSAGE[service_type],
        package=package,
    )
    log.info("vdxp.sent", doc_id=doc.doc_id, system=system_id, to=list(recipients))
    return _answer(doc_id=doc.doc_id)


async def received_list(request: web.Request) -> web.Response:
    state = request.app[VDXP_STATE]
    system_id, _ = _caller(request, signed=("servicetype",))
    service_type = _service_type(request)
    data = [
        {**doc.summary(), "status": doc.receipts[system_id]}
        for doc in state.received_by(system_id, service_type)
    ]
    return _answer(data=data)


async def sent_list(request: web.Request) -> web.Response:
    state = request.app[VDXP_STATE]
    system_id, _ = _caller(request)
    service_type = _service_type_if_any(request)
    data = [
        {**doc.summary(), "statuses": state.agency_statuses(doc)}
        for doc in state.sent_by(system_id, service_type)
    ]
    return _answer(data=data)


async def get_edoc(request: web.Request) -> web.Response:
    system_id, _ = _caller(request, signed=("docId",))
    doc_id = _header(request, "docId")
    doc = request.app[VDXP_STATE].visible(doc_id, system_id)
    if doc is None:
        raise _Refused(VdxpErrorCode.UNKNOWN_DOC, f"unknown docId {doc_id}")
    return _answer(data=base64.b64encode(doc.package).decode("ascii"), doc_id=doc.doc_id)


async def update_status(request: web.Request) -> web.Response:
    system_id, _ = _caller(request, signed=("docId", "status"))
    doc_id = _header(request, "docId")
    status = _header(request, "status")
    if status not in _TRANSPORT_STATUSES:
        raise _Refused(VdxpErrorCode.MISSING_HEADER, "status must be done, fail or processing")
    doc = request.app[VDXP_STATE].visible(doc_id, system_id)
    if doc is None or system_id not in doc.receipts:
        raise _Refused(VdxpErrorCode.UNKNOWN_DOC, f"unknown docId {doc_id}")
    doc.receipts[system_id] = status
    log.info("vdxp.status", doc_id=doc_id, system=system_id, status=status)
    return _answer(doc_id=doc_id)


async def agencies_list(request: web.Request) -> web.Response:
    _caller(request)
    return _answer(data=request.app[VDXP_STATE].agencies())


async def count_received(request: web.Request) -> web.Response:
    system_id, _ = _caller(request)
    service_type = _service_type_if_any(request)
    return _answer(data=len(request.app[VDXP_STATE].received_by(system_id, service_type)))


def setup_routes(app: web.Application) -> None:
    app.router.add_post("/sendEdoc", send_edoc)
    app.router.add_post("/getReceivedEdocList", received_list)
    app.router.add_post("/getSentEdocList", sent_list)
    app.router.add_post("/getEdoc", get_edoc)
    app.router.add_post("/updateStatus", update_status)
    app.router.add_post("/getAgenciesList", agencies_list)
    app.router.add_get("/countReceiveEdoc", count_received)
    setup_control_routes(app, lambda app: app[VDXP_STATE], "vdxp")


def create_vdxp_app(config: VdxpConfig) -> web.Application:
    """The simulator as an app; its state is ``app[VDXP_STATE]``, switches changeable live."""
    app = web.Application(client_max_size=config.max_package_bytes, middlewares=[_switches])
    app[VDXP_STATE] = VdxpState(config)
    setup_routes(app)
    return app


@asynccontextmanager
async def run_vdxp_simulator(
    config: VdxpConfig, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[str]:
    """Serve the simulator on ``host:port`` (0 picks a free port); yields its base URL."""
    async with serve_app(create_vdxp_app(config), host, port) as url:
        yield url
