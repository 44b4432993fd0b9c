"""An agency the joined civil-status procedures reach, as a small aiohttp app: the residence
registry, health insurance or the funeral allowance (see ``lgsp.simulators.agency_state``).

One app for all three, told which agency it plays. Each service is a ``POST`` with a JSON body
``{maDonVi, maHoSo, ngayTiepNhan, data}`` and the calling unit's API key in the configured header
(``X-API-Key`` by default), answered HTTP 200 ``{status: "OK"|"FAIL", errorCode, errorMessage,
data}`` like the Ministry of Justice's civil-status service. Required ``data`` → result:

- ``/cutru/1.0/dangKyThuongTru`` (residence): ``soDinhDanh``, ``hoTen``, ``ngaySinh``,
  ``noiThuongTru {tinh, huyen, xa, chiTiet}`` → ``soHoSoCuTru``;
- ``/cutru/1.0/xoaDangKyThuongTru`` (residence): ``soDinhDanh``, ``hoTen``, ``ngayChet``,
  ``lyDo`` → ``soHoSoCuTru``;
- ``/bhyt/1.0/capTheBHYT`` (health insurance): ``soDinhDanh``, ``hoTen``, ``ngaySinh`` →
  ``maTheBHYT``, ``giaTriTu``, ``giaTriDen`` (the day before the sixth birthday);
- ``/bhxh/1.0/giaiQuyetTroCapMaiTang`` (funeral allowance): ``soDinhDanhNguoiChet``,
  ``hoTenNguoiChet``, ``ngayChet``, ``nguoiNhanHoTen`` → ``soQuyetDinh``, ``soTien``.

Every result also carries ``maHoSo``. Codes: 0 success; 100 no or unknown key; 106 the key belongs
to another unit than ``maDonVi``; 200 a required field missing or empty; 302 a field of the wrong
JSON type; 500 bad data (a personal ID number that is not 12 digits, an unreadable date, a dossier
in ``refusing``); 999 TRANSIENT, injected by ``error_rate``. The same ``maHoSo`` sent again
answers the first result.

Switches (``POST /_simulator/config``: ``latency``, ``error_rate``, ``error_kind``, ``down``) and
``GET /_simulator/state`` as every simulator (``lgsp.simulators.control``).

Not for: production, persistence, or the agencies' real rules.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import structlog
from aiohttp import web

from lgsp.simulators.agency_state import (
    SERVICES,
    AgencyConfig,
    AgencyErrorCode,
    AgencyService,
    AgencyState,
    parse_date,
)
from lgsp.simulators.control import setup_control_routes
from lgsp.simulators.serving import serve_app
from lgsp.simulators.unit_answers import Refused, answer, calling_unit, switches_middleware, text

__all__ = ["AGENCY_STATE", "create_agency_app", "run_agency_simulator"]

log = structlog.get_logger(__name__)

AGENCY_STATE = web.AppKey("agency_state", AgencyState)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Code = AgencyErrorCode


def _place(data: dict[str, Any], name: str) -> None:
    value = data.get(name)
    if value is None:
        return
    if not isinstance(value, dict):
        raise Refused(Code.BAD_DATA_TYPE, f"{name} phải là một đối tượng JSON")
    text(value, "tinh")


def _check(service: AgencyService, data: dict[str, Any]) -> None:
    spec = SERVICES[service]
    for name in spec.required:
        if name in spec.places:
            if data.get(name) is None:
                raise Refused(Code.INCOMPLETE, f"thiếu trường {name}")
        else:
            text(data, name)
    for name in spec.places:
        _place(data, name)
    for name in spec.personal_ids:
        value = data.get(name)
        if value is None:
            continue
        if not (isinstance(value, str) and len(value) == 12 and value.isdigit()):
            raise Refused(Code.BAD_DATA, f"{name} không phải là số định danh cá nhân")
    for name in spec.dates:
        try:
            parse_date(text(data, name))
        except ValueError as exc:
            raise Refused(Code.BAD_DATA, f"{name} không phải là ngày") from exc


def _service_handler(service: AgencyService) -> Handler:
    async def settle(request: web.Request) -> web.Response:
        state = request.app[AGENCY_STATE]
        config = state.config
        unit, body = await calling_unit(request, config.api_keys, config.api_key_header)
        dossier_id = text(body, "maHoSo")
        received = text(body, "ngayTiepNhan")
        try:
            parse_date(received)
        except ValueError as exc:
            raise Refused(Code.BAD_DATA, "ngayTiepNhan không phải là ngày") from exc
        data = body.get("data")
        if data is None:
            raise Refused(Code.INCOMPLETE, "thiếu trường data")
        if not isinstance(data, dict):
            raise Refused(Code.BAD_DATA_TYPE, "data phải là một đối tượng JSON")
        known = state.find(service, unit, dossier_id)
        if known is not None:
            return answer(data=known.result)
        _check(service, data)
        if dossier_id in state.config.refusing:
            raise Refused(Code.BAD_DATA, "hồ sơ không đủ điều kiện giải quyết")
        record = state.settle(
            service, unit=unit, dossier_id=dossier_id, received=received, data=data
        )
        log.info("agency.settled", service=service.value, unit=unit, dossier=dossier_id)
        return answer(data=record.result)

    return settle


def setup_routes(app: web.Application) -> None:
    for service in app[AGENCY_STATE].services:
        app.router.add_post(SERVICES[service].path, _service_handler(service))
    setup_control_routes(app, lambda app: app[AGENCY_STATE], "agency")


def create_agency_app(config: AgencyConfig) -> web.Application:
    """The simulator of ``config.agency`` as an app; its state is ``app[AGENCY_STATE]``."""
    app = web.Application(
        middlewares=[switches_middleware(lambda app: app[AGENCY_STATE], "agency")]
    )
    app[AGENCY_STATE] = AgencyState(config)
    setup_routes(app)
    return app


@asynccontextmanager
async def run_agency_simulator(
    config: AgencyConfig, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[str]:
    """Serve the simulator on ``host:port`` (0 picks a free port); yields its base URL."""
    async with serve_app(create_agency_app(config), host, port) as url:
        yield url
