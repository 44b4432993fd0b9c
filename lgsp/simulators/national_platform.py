"""The national data platform (NGSP/NDXP) as a small aiohttp app, for tests and the demo.

Routes:

- ``POST /token``: OAuth2 client credentials. HTTP Basic ``client_id:secret``, form
  ``grant_type=client_credentials``; answers ``{access_token, token_type: "Bearer", expires_in}``
  (``expires_in`` the configured lifetime, a number of seconds). 401 ``invalid_client`` for
  missing or wrong credentials, 400 ``unsupported_grant_type`` / ``invalid_request``.
- Versioned APIs, each needing ``Authorization: Bearer <live token>`` (401 ``invalid_token``
  when missing, unknown or expired, with ``WWW-Authenticate: Bearer error="invalid_token"``):

  - ``GET /dancu/1.0/congdan/{personal_id}``: population lookup (tra cứu công dân),
    ``{soDinhDanh, hoVaTen, ngaySinh, gioiTinh, noiThuongTru}``; 404 ``CITIZEN_NOT_FOUND``.
  - ``GET /{catalog}/1.0/{list_code}/{item_code}``: one shared catalogue item (danh mục dùng
    chung), ``{loaiDanhMuc, ma, ten}``; ``catalog`` is the API path piece (``dmdc``),
    ``list_code`` the list (``DanToc`` ethnicities, ``Tinh`` provinces, matched without regard
    to case); 404 ``CATALOG_NOT_FOUND`` (no such catalogue or list) / ``CODE_NOT_FOUND``.
  - ``GET /{catalog}/1.0/{list_code}?tuKhoa=...``: a search of one list, ``{loaiDanhMuc,
    tuKhoa, danhSach: [{ma, ten}...]}``: items whose code or name contains ``tuKhoa``, case
    and diacritics ignored (``thai`` finds ``Thái``); without ``tuKhoa``, the whole list.
  - ``POST /dvcqg/1.0/hoso/dongbo``: the National Public Service Portal's dossier sync, a JSON
    object with at least ``MaHoSo`` and ``MaTTHC`` (strings) and ``TrangThaiHoSo`` (1..10);
    answers 200 ``{ErrorCode: "0", MaHoSo, TrangThaiHoSo, recorded}`` (``recorded`` false for a
    resend of the last status), 400 ``INVALID_DOSSIER``, 409 ``STATUS_OUT_OF_ORDER`` for a
    status lower than the last one recorded for that dossier.
  - ``GET /dvcqg/1.0/hoso/{MaHoSo}``: ``{MaHoSo, MaTTHC, TrangThaiHoSo, LichSu: [...]}``, the
    history in the order received; 404 ``DOSSIER_NOT_FOUND``.

Errors are JSON: OAuth2's ``{error, error_description}`` on ``/token`` and bearer failures,
``{ErrorCode, ErrorDesc}`` on the APIs.

Switches (``POST /_simulator/config``: ``latency``, ``error_rate``, ``error_kind``, ``down``):
``down`` answers every call 503 at once; ``latency`` delays each call; ``error_rate`` fails that
share of calls (503 ``temporarily_unavailable``, or a bare 500 with ``error_kind="http"``).
``GET /_simulator/state`` shows switches, ``tokens_issued`` and dossier statuses.

Not for: production, persistence, or the portal's full dossier schema.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import structlog
from aiohttp import web

from lgsp.simulators.control import setup_control_routes, switched_answer
from lgsp.simulators.national_platform_state import (
    NationalConfig,
    NationalState,
    StatusOutOfOrder,
    find_list,
    search_items,
)
from lgsp.simulators.serving import serve_app

__all__ = ["NATIONAL_STATE", "create_national_app", "run_national_simulator"]

log = structlog.get_logger(__name__)

NATIONAL_STATE = web.AppKey("national_state", NationalState)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_OPEN_PATHS = ("/token",)


def _oauth_error(status: int, error: str, description: str) -> web.Response:
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = f'Bearer error="{error}"'
    return web.json_response(
        {"error": error, "error_description": description}, status=status, headers=headers
    )


def _api_error(status: int, code: str, desc: str) -> web.Response:
    return web.json_response({"ErrorCode": code, "ErrorDesc": desc}, status=status)


@web.middleware
async def _switches(request: web.Request, handler: Handler) -> web.StreamResponse:
    early = await switched_answer(
        request,
        request.app[NATIONAL_STATE],
        injected=lambda: _oauth_error(503, "temporarily_unavailable", "please try again later"),
        http_status=500,
    )
    return early if early is not None else await handler(request)


@web.middleware
async def _bearer(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith("/_simulator/") or request.path in _OPEN_PATHS:
        return await handler(request)
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _oauth_error(401, "invalid_token", "a Bearer access token is required")
    client_id = request.app[NATIONAL_STATE].token_client(token.strip())
    if client_id is None:
        return _oauth_error(401, "invalid_token", "the access token is unknown or expired")
    return await handler(request)


def _basic_credentials(request: web.Request) -> tuple[str, str] | None:
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, colon, secret = decoded.partition(":")
    return (client_id, secret) if colon else None


async def issue_token(request: web.Request) -> web.Response:
    state = request.app[NATIONAL_STATE]
    credentials = _basic_credentials(request)
    if credentials is None or not state.client_matches(*credentials):
        log.info("national.token_refused")
        return _oauth_error(401, "invalid_client", "client authentication failed")
    form = await request.post()
    grant_type = form.get("grant_type")
    if grant_type is None:
        return _oauth_error(400, "invalid_request", "grant_type is required")
    if grant_type != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", "only client_credentials")
    token = state.issue_token(credentials[0])
    lifetime = state.config.token_lifetime
    log.info("national.token_issued", client_id=credentials[0], issued=state.tokens_issued)
    return web.json_response(
        {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": int(lifetime) if lifetime == int(lifetime) else lifetime,
        }
    )


async def citizen(request: web.Request) -> web.Response:
    personal_id = request.match_info["personal_id"]
    found = request.app[NATIONAL_STATE].config.citizens.get(personal_id)
    if found is None:
        return _api_error(404, "CITIZEN_NOT_FOUND", "no citizen with this personal ID number")
    return web.json_response(found.answer(personal_id))


def _catalog_list(request: web.Request) -> tuple[str, Mapping[str, str]] | web.Response:
    catalog, list_code = request.match_info["catalog"], request.match_info["list_code"]
    found = find_list(request.app[NATIONAL_STATE].config.catalogs, catalog, list_code)
    if found is None:
        return _api_error(404, "CATALOG_NOT_FOUND", f"no list {list_code} in catalogue {catalog}")
    return found


async def catalog_item(request: web.Request) -> web.Response:
    found = _catalog_list(request)
    if isinstance(found, web.Response):
        return found
    list_code, items = found
    code = request.match_info["item_code"]
    name = items.get(code)
    if name is None:
        return _api_error(404, "CODE_NOT_FOUND", f"no code {code} in {list_code}")
    return web.json_response({"loaiDanhMuc": list_code, "ma": code, "ten": name})


async def catalog_search(request: web.Request) -> web.Response:
    found = _catalog_list(request)
    if isinstance(found, web.Response):
        return found
    list_code, items = found
    query = request.query.get("tuKhoa", "")
    matches = search_items(items, query) if query.strip() else list(items.items())
    return web.json_response(
        {
            "loaiDanhMuc": list_code,
            "tuKhoa": query,
            "danhSach": [{"ma": code, "ten": name} for code, name in matches],
        }
    )


def _dossier_body(body: Any) -> tuple[str, str, int]:
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    dossier_id, procedure = body.get("MaHoSo"), body.get("MaTTHC")
    status = body.get("TrangThaiHoSo")
    if not isinstance(dossier_id, str) or not dossier_id:
        raise ValueError("MaHoSo must be a non-empty string")
    if not isinstance(procedure, str) or not procedure:
        raise ValueError("MaTTHC must be a non-empty string")
    if isinstance(status, bool) or not isinstance(status, int) or not 1 <= status <= 10:
        raise ValueError("TrangThaiHoSo must be an integer from 1 to 10")
    return dossier_id, procedure, status


async def sync_dossier(request: web.Request) -> web.Response:
    state = request.app[NATIONAL_STATE]
    try:
        body = await request.json()
        dossier_id, procedure, status = _dossier_body(body)
    except ValueError as exc:
        return _api_error(400, "INVALID_DOSSIER", str(exc))
    try:
        recorded = state.sync(dossier_id, procedure, status, body)
    except StatusOutOfOrder as exc:
        log.info("national.dossier_refused", last=exc.last, got=exc.got)
        return _api_error(409, "STATUS_OUT_OF_ORDER", str(exc))
    return web.json_response(
        {"ErrorCode": "0", "MaHoSo": dossier_id, "TrangThaiHoSo": status, "recorded": recorded}
    )


async def dossier_history(request: web.Request) -> web.Response:
    dossier = request.app[NATIONAL_STATE].dossiers.get(request.match_info["dossier_id"])
    if dossier is None:
        return _api_error(404, "DOSSIER_NOT_FOUND", "no dossier with this MaHoSo")
    return web.json_response(dossier.answer())


def setup_routes(app: web.Application) -> None:
    app.router.add_post("/token", issue_token)
    app.router.add_get("/dancu/1.0/congdan/{personal_id}", citizen)
    app.router.add_post("/dvcqg/1.0/hoso/dongbo", sync_dossier)
    app.router.add_get("/dvcqg/1.0/hoso/{dossier_id}", dossier_history)
    # Last: any API path piece may name a catalogue, so the routes above must win.
    app.router.add_get("/{catalog}/1.0/{list_code}/{item_code}", catalog_item)
    app.router.add_get("/{catalog}/1.0/{list_code}", catalog_search)
    setup_control_routes(app, lambda app: app[NATIONAL_STATE], "national")


def create_national_app(
    config: NationalConfig, *, clock: Callable[[], float] = time.monotonic
) -> web.Application:
    """The simulator as an app; its state is ``app[NATIONAL_STATE]``; ``clock`` times tokens."""
    app = web.Application(middlewares=[_switches, _bearer])
    app[NATIONAL_STATE] = NationalState(config, clock)
    setup_routes(app)
    return app


@asynccontextmanager
async def run_national_simulator(
    config: NationalConfig,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    clock: Callable[[], float] = time.monotonic,
) -> AsyncIterator[str]:
    """Serve the simulator on ``host:port`` (0 picks a free port); yields its base URL."""
    async with serve_app(create_national_app(config, clock=clock), host, port) as url:
        yield url
