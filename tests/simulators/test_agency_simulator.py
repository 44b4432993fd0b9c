"""The agency simulators of the joined procedures (residence, health insurance, funeral
allowance), driven over 127.0.0.1 with httpx."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from lgsp.errors import ConfigurationError
from lgsp.simulators.agency import AGENCY_STATE, create_agency_app, run_agency_simulator
from lgsp.simulators.agency_state import (
    FUNERAL_ALLOWANCE_VND,
    Agency,
    AgencyConfig,
    AgencyState,
)

UNIT, OTHER = "000.00.00.H41", "000.00.00.H14"
KEYS = {UNIT: "key-h41", OTHER: "key-h14"}
CHILD_ID = "054326000123"  # Phú Yên, 3 = woman born 2000–2099, '26
DECEASED_ID = "064052001234"

REGISTRATION, REMOVAL = "/cutru/1.0/dangKyThuongTru", "/cutru/1.0/xoaDangKyThuongTru"
CARD, ALLOWANCE = "/bhyt/1.0/capTheBHYT", "/bhxh/1.0/giaiQuyetTroCapMaiTang"

CHILD = {
    "soDinhDanh": CHILD_ID,
    "hoTen": "Nguyễn Thị An",
    "ngaySinh": "10/03/2026",
    "gioiTinh": "2",
    "noiThuongTru": {"tinh": "Phú Yên", "huyen": "Thành phố Tuy Hòa", "xa": "Phường 1"},
}
DECEASED = {
    "soDinhDanh": DECEASED_ID,
    "hoTen": "Rơ Châm Blơng",
    "ngayChet": "03/10/2026",
    "lyDo": "Đã chết",
}
FUNERAL = {
    "soDinhDanhNguoiChet": DECEASED_ID,
    "hoTenNguoiChet": "Rơ Châm Blơng",
    "ngayChet": "03/10/2026",
    "nguoiNhanHoTen": "Rơ Châm H'Lan",
}


class Agent:
    """One agency simulator as a caller sees it."""

    def __init__(self, url: str, http: httpx.AsyncClient) -> None:
        self.url = url
        self.http = http

    async def call(
        self,
        path: str,
        data: Any,
        dossier: str = "HS-1",
        *,
        key: str | None = KEYS[UNIT],
        unit: str = UNIT,
        expect: int = 200,
        **fields: Any,
    ) -> dict[str, Any]:
        body = {
            "maDonVi": unit,
            "maHoSo": dossier,
            "ngayTiepNhan": "20/03/2026 09:00:00",
            "data": data,
            **fields,
        }
        headers = {"X-API-Key": key} if key is not None else {}
        response = await self.http.post(f"{self.url}{path}", json=body, headers=headers)
        assert response.status_code == expect, response.text
        answer: dict[str, Any] = response.json() if expect == 200 else {}
        return answer

    async def switch(self, **changes: Any) -> httpx.Response:
        return await self.http.post(f"{self.url}/_simulator/config", json=changes)

    async def state(self) -> dict[str, Any]:
        answer: dict[str, Any] = (await self.http.get(f"{self.url}/_simulator/state")).json()
        return answer


def config(agency: Agency, **kwargs: Any) -> AgencyConfig:
    return AgencyConfig(agency, api_keys=KEYS, seed=1, **kwargs)


@pytest.fixture
async def agents() -> AsyncIterator[dict[Agency, Agent]]:
    """One simulator per agency."""
    servers: list[TestServer] = []
    async with httpx.AsyncClient(timeout=5) as http:
        found = {}
        for agency in Agency:
            refusing = frozenset({"HS-NO"}) if agency is Agency.FUNERAL_ALLOWANCE else frozenset()
            server = TestServer(
                create_agency_app(config(agency, refusing=refusing)), host="127.0.0.1"
            )
            await server.start_server()
            servers.append(server)
            found[agency] = Agent(str(server.make_url("")).rstrip("/"), http)
        try:
            yield found
        finally:
            for server in servers:
                await server.close()


async def test_residence_registration_and_removal(agents: dict[Agency, Agent]) -> None:
    residence = agents[Agency.RESIDENCE]
    registered = await residence.call(REGISTRATION, CHILD)
    assert (registered["status"], registered["errorCode"]) == ("OK", 0)
    assert registered["data"] == {"maHoSo": "HS-1", "soHoSoCuTru": "CT0542026000001"}
    removed = await residence.call(REMOVAL, DECEASED, "HS-2")
    assert removed["data"]["soHoSoCuTru"] == "XCT0542026000001"


async def test_health_insurance_card_for_a_child_under_six(agents: dict[Agency, Agent]) -> None:
    card = (await agents[Agency.HEALTH_INSURANCE].call(CARD, CHILD))["data"]
    assert card["maTheBHYT"] == f"TE154{CHILD_ID[-10:]}"
    assert (card["giaTriTu"], card["giaTriDen"]) == ("20/03/2026", "09/03/2032")


async def test_funeral_allowance(agents: dict[Agency, Agent]) -> None:
    decision = (await agents[Agency.FUNERAL_ALLOWANCE].call(ALLOWANCE, FUNERAL))["data"]
    assert decision["soQuyetDinh"] == "1/2026/QĐ-BHXH"
    assert decision["soTien"] == FUNERAL_ALLOWANCE_VND


async def test_each_agency_serves_only_its_own_services(agents: dict[Agency, Agent]) -> None:
    await agents[Agency.HEALTH_INSURANCE].call(REGISTRATION, CHILD, expect=404)
    await agents[Agency.RESIDENCE].call(ALLOWANCE, FUNERAL, expect=404)


async def test_the_same_dossier_answers_the_first_result(agents: dict[Agency, Agent]) -> None:
    residence = agents[Agency.RESIDENCE]
    first = await residence.call(REGISTRATION, CHILD)
    again = await residence.call(REGISTRATION, {**CHILD, "hoTen": "Khác"})
    other = await residence.call(REGISTRATION, CHILD, "HS-2")
    assert again == first
    assert other["data"]["soHoSoCuTru"] != first["data"]["soHoSoCuTru"]
    state = await residence.state()
    assert len(state["records"]) == 2
    assert state["calls"] == {REGISTRATION: 3}


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"key": None}, 100),
        ({"key": "wrong"}, 100),
        ({"key": KEYS[OTHER]}, 106),
        ({"dossier": ""}, 200),
        ({"data": None}, 200),
        ({"data": {**CHILD, "hoTen": ""}}, 200),
        ({"data": {k: v for k, v in CHILD.items() if k != "noiThuongTru"}}, 200),
        ({"data": [1]}, 302),
        ({"data": {**CHILD, "hoTen": 7}}, 302),
        ({"data": {**CHILD, "noiThuongTru": "Phú Yên"}}, 302),
        ({"data": {**CHILD, "soDinhDanh": "12345"}}, 500),
        ({"data": {**CHILD, "ngaySinh": "hôm qua"}}, 500),
        ({"ngayTiepNhan": "soon"}, 500),
    ],
)
async def test_requests_are_checked(
    agents: dict[Agency, Agent], change: dict[str, Any], code: int
) -> None:
    args: dict[str, Any] = {"data": CHILD, **change}
    data = args.pop("data")
    answer = await agents[Agency.RESIDENCE].call(REGISTRATION, data, **args)
    assert (answer["status"], answer["errorCode"]) == ("FAIL", code), answer


async def test_a_refused_dossier_stays_refused(agents: dict[Agency, Agent]) -> None:
    allowance = agents[Agency.FUNERAL_ALLOWANCE]
    for _ in range(2):
        answer = await allowance.call(ALLOWANCE, FUNERAL, "HS-NO")
        assert answer["errorCode"] == 500
    assert (await allowance.state())["records"] == []


async def test_switches_down_errors_and_latency(agents: dict[Agency, Agent]) -> None:
    card = agents[Agency.HEALTH_INSURANCE]
    await card.switch(down=True)
    await card.call(CARD, CHILD, expect=503)
    await card.switch(down=False, error_rate=1.0)
    assert (await card.call(CARD, CHILD))["errorCode"] == 999
    await card.switch(error_kind="http")
    await card.call(CARD, CHILD, expect=503)
    await card.switch(error_rate=0.0, latency=0.5)
    with pytest.raises(httpx.ReadTimeout):
        await card.http.post(f"{card.url}{CARD}", json={}, timeout=0.05)
    await card.switch(latency=0.0)
    assert (await card.call(CARD, CHILD))["status"] == "OK"
    # One agency down does not take the others with it.
    await card.switch(down=True)
    assert (await agents[Agency.RESIDENCE].call(REGISTRATION, CHILD))["status"] == "OK"
    assert (await card.switch(error_rate=3)).status_code == 400


async def test_state_shows_no_personal_data(agents: dict[Agency, Agent]) -> None:
    residence = agents[Agency.RESIDENCE]
    await residence.call(REGISTRATION, CHILD)
    state = await residence.state()
    assert state["agency"] == "residence"
    assert state["records"] == [
        {"service": "residence_registration", "maDonVi": UNIT, "maHoSo": "HS-1"}
    ]
    assert CHILD_ID not in str(state)
    assert "Nguyễn" not in str(state)


async def test_run_context_manager_serves_on_loopback() -> None:
    async with (
        asyncio.timeout(10),
        run_agency_simulator(config(Agency.FUNERAL_ALLOWANCE)) as url,
        httpx.AsyncClient(timeout=5) as http,
    ):
        assert url.startswith("http://127.0.0.1:")
        assert (await Agent(url, http).call(ALLOWANCE, FUNERAL))["status"] == "OK"


def test_config_hides_keys_and_checks_the_province() -> None:
    assert "key-h41" not in repr(config(Agency.RESIDENCE))
    with pytest.raises(ConfigurationError):
        AgencyState(config(Agency.RESIDENCE, province_code="999"))


def test_the_app_holds_its_state() -> None:
    app = create_agency_app(config(Agency.HEALTH_INSURANCE))
    assert isinstance(app, web.Application)
    assert app[AGENCY_STATE].config.agency is Agency.HEALTH_INSURANCE
