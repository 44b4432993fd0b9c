"""The Ministry of Justice's shared civil-status system (hộ tịch) as a small aiohttp app.

Three calls, each ``POST`` with a JSON body and the calling unit's API key in the configured header
(``X-API-Key`` by default; no OAuth2):

- ``/hotich/1.0/dangKyHoTich`` ``{maDonVi, module, maHoSo, ngayTiepNhan, data}``: ``module`` is
  ``KS`` birth (khai sinh), ``KT`` death (khai tử) or ``KH`` marriage (kết hôn); ``ngayTiepNhan``
  is ``YYYY-MM-DD[THH:MM:SS]`` or ``dd/MM/yyyy[ HH:mm:ss]``. ``data`` must carry, as strings,
  KS: ``nksHoTen``, ``nksGioiTinh`` (``1``/``2``, ``nam``/``nữ``, ``male``/``female``),
  ``nksNgaySinh``; KT: ``nktHoTen``, ``nktNgayChet``; KH: ``chongHoTen``, ``voHoTen``. Success
  answers ``data: {maHoSo, soDangKy, quyenSo, trangSo}`` plus, for a birth, ``soDinhDanh`` (a new
  12-digit personal ID number agreeing with the birth date and sex). The same ``maHoSo`` sent
  again answers the first result (a resend after a lost answer registers nothing twice).
- ``/hotich/1.0/traTrangThaiHoSo`` ``{maDonVi, maHoSo}``: ``data: {maHoSo, trangThai}``, the
  status walking one step per call (see ``lgsp.simulators.civil_status_state``).
- ``/hotich/1.0/traCuuHoTich`` ``{maDonVi, module, soDinhDanh?, soDangKy?, quyenSo?,
  noiDangKy?}``: a lookup in every unit's records of ``module`` by the registered person's personal
  ID number or by registration number (at least one of the two); ``data: {maHoSo, soDangKy,
  quyenSo, trangSo, soDinhDanh?, module, ngayTiepNhan, trangThai, data}`` with the record as
  registered, or 201.

Answers are HTTP 200 JSON ``{status: "OK"|"FAIL", errorCode, errorMessage, data}``:

====  ==========================================================================
0     success
100   no API key, or a key that belongs to no unit
101   IP not allowed: NOT simulated (every address is allowed)
106   the key belongs to another unit than ``maDonVi``
200   a required field is missing or empty
201   no such ``maHoSo`` registered by this unit; no record matches a lookup
302   a field has the wrong JSON type (or the body is not a JSON object)
500   bad data: unknown ``module``, unreadable date or sex, a body that is not JSON
999   TRANSIENT, the simulator's own: injected by ``error_rate`` (``error_kind="fail"``)
====  ==========================================================================

Switches (``POST /_simulator/config`` with ``latency``, ``error_rate``, ``error_kind``, ``down``):
``down`` answers 503 at once; ``latency`` delays each call; ``error_rate`` fails that share of
calls with code 999, or HTTP 503 with ``error_kind="http"``. ``GET /_simulator/state`` shows
switches and records. ``/_simulator/*`` ignores the switches.

Not for: production, persistence, or the full registration rules (the schemas check those).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import structlog
from aiohttp import web

from lgsp.simulators.civil_status_state import (
    MODULES,
    CivilStatusConfig,
    CivilStatusErrorCode,
    CivilStatusState,
)
from lgsp.simulators.control import setup_control_routes
from lgsp.simulators.serving import serve_app
from lgsp.simulators.unit_answers import Refused, answer, calling_unit, switches_middleware, text

__all__ = ["CIVIL_STATUS_STATE", "create_civil_status_app", "run_civil_status_simulator"]

log = structlog.get_logger(__name__)

CIVIL_STATUS_STATE = web.AppKey("civil_status_state", CivilStatusState)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Code = CivilStatusErrorCode

_REQUIRED_DATA = {
    "KS": ("nksHoTen", "nksGioiTinh", "nksNgaySinh"),
    "KT": ("nktHoTen", "nktNgayChet"),
    "KH": ("chongHoTen", "voHoTen"),
}
_MALE = {"1", "nam", "male"}
_FEMALE = {"2", "nữ", "nu", "female"}


def _date(value: str, name: str) -> dt.date:
    for form in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(value[:10], form).date()
        except ValueError:
            continue
    raise Refused(Code.BAD_DATA, f"{name} không phải là ngày")


async def _caller(request: web.Request) -> tuple[str, dict[str, Any]]:
    """The calling unit and the body, once its key matches ``maDonVi``."""
    config = request.app[CIVIL_STATUS_STATE].config
    return await calling_unit(request, config.api_keys, config.api_key_header)


def _personal_id(state: CivilStatusState, data: dict[str, Any]) -> str:
    birth_date = _date(data["nksNgaySinh"], "nksNgaySinh")
    sex = data["nksGioiTinh"].strip().lower()
    if sex not in _MALE | _FEMALE:
        raise Refused(Code.BAD_DATA, "nksGioiTinh không hợp lệ")
    return state.personal_id(birth_date, female=sex in _FEMALE)


async def register(request: web.Request) -> web.Response:
    state = request.app[CIVIL_STATUS_STATE]
    unit, body = await _caller(request)
    module = text(body, "module")
    dossier_id = text(body, "maHoSo")
    received = text(body, "ngayTiepNhan")
    if "data" not in body or body["data"] is None:
        raise Refused(Code.INCOMPLETE, "thiếu trường data")
    data = body["data"]
    if not isinstance(data, dict):
        raise Refused(Code.BAD_DATA_TYPE, "data phải là một đối tượng JSON")
    if module not in MODULES:
        raise Refused(Code.BAD_DATA, f"module {module} không hợp lệ (KS, KT, KH)")
    _date(received, "ngayTiepNhan")
    for name in _REQUIRED_DATA[module]:
        text(data, name)
    known = state.find(unit, dossier_id)
    if known is not None:
        return answer(data=known.result())
    personal_id = _personal_id(state, data) if module == "KS" else None
    record = state.register(
        unit=unit,
        module=module,
        dossier_id=dossier_id,
        received=received,
        data=data,
        personal_id=personal_id,
    )
    log.info("civil_status.registered", unit=unit, module=module, number=record.number)
    return answer(data=record.result())


async def dossier_status(request: web.Request) -> web.Response:
    state = request.app[CIVIL_STATUS_STATE]
    unit, body = await _caller(request)
    dossier_id = text(body, "maHoSo")
    record = state.find(unit, dossier_id)
    if record is None:
        raise Refused(Code.NOT_FOUND, f"không tìm thấy hồ sơ {dossier_id}")
    status = record.next_status()
    return answer(data={"maHoSo": dossier_id, "trangThai": int(status)})


def _optionaltext(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise Refused(Code.BAD_DATA_TYPE, f"{name} phải là chuỗi")
    return value


async def lookup(request: web.Request) -> web.Response:
    state = request.app[CIVIL_STATUS_STATE]
    _, body = await _caller(request)
    module = text(body, "module")
    if module not in MODULES:
        raise Refused(Code.BAD_DATA, f"module {module} không hợp lệ (KS, KT, KH)")
    personal_id = _optionaltext(body, "soDinhDanh")
    number = _optionaltext(body, "soDangKy")
    book = _optionaltext(body, "quyenSo")
    place = _optionaltext(body, "noiDangKy")
    if personal_id is None and number is None:
        raise Refused(Code.INCOMPLETE, "thiếu trường soDinhDanh hoặc soDangKy")
    record = state.search(module, personal_id=personal_id, number=number, book=book, place=place)
    if record is None:
        raise Refused(Code.NOT_FOUND, "không tìm thấy thông tin hộ tịch")
    return answer(data=record.found())


def setup_routes(app: web.Application) -> None:
    app.router.add_post("/hotich/1.0/dangKyHoTich", register)
    app.router.add_post("/hotich/1.0/traTrangThaiHoSo", dossier_status)
    app.router.add_post("/hotich/1.0/traCuuHoTich", lookup)
    setup_control_routes(app, lambda app: app[CIVIL_STATUS_STATE], "civil_status")


def create_civil_status_app(config: CivilStatusConfig) -> web.Application:
    """The simulator as an app; its state is ``app[CIVIL_STATUS_STATE]``."""
    app = web.Application(
        middlewares=[switches_middleware(lambda app: app[CIVIL_STATUS_STATE], "civil_status")]
    )
    app[CIVIL_STATUS_STATE] = CivilStatusState(config)
    setup_routes(app)
    return app


@asynccontextmanager
async def run_civil_status_simulator(
    config: CivilStatusConfig, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[str]:
    """Serve the simulator on ``host:port`` (0 picks a free port); yields its base URL."""
    async with serve_app(create_civil_status_app(config), host, port) as url:
        yield url
