"""The national data platform simulator (NDXP): tokens, lookups, dossier sync, switches."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp.test_utils import BaseTestServer, TestServer

from lgsp.simulators.national_platform import (
    NATIONAL_STATE,
    create_national_app,
    run_national_simulator,
)
from lgsp.simulators.national_platform_state import Citizen, NationalConfig, NationalState

CLIENT, SECRET = "lgsp-h41", "s3cret-h41"
PERSON = "054224000123"
CONFIG = NationalConfig(
    clients={CLIENT: SECRET},
    token_lifetime=2,
    citizens={PERSON: Citizen("Nguyễn Thị An", "2024-03-05", "female", "Tuy Hòa, Phú Yên")},
    seed=5,
)
SYNC = "/dvcqg/1.0/hoso/dongbo"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Platform:
    def __init__(
        self,
        server: BaseTestServer,
        state: NationalState,
        http: httpx.AsyncClient,
        clock: FakeClock,
    ) -> None:
        self.url = str(server.make_url("")).rstrip("/")
        self.state = state
        self.http = http
        self.clock = clock

    async def token(self, auth: Any = (CLIENT, SECRET), **form: str) -> httpx.Response:
        data = form or {"grant_type": "client_credentials"}
        return await self.http.post(f"{self.url}/token", data=data, auth=auth)

    async def bearer(self) -> dict[str, str]:
        response = await self.token()
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    async def get(self, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
        return await self.http.get(f"{self.url}{path}", headers=headers or await self.bearer())

    async def sync(self, status: int, dossier: str = "H41.1-2611-0001", **extra: Any) -> Any:
        body = {"MaHoSo": dossier, "MaTTHC": "1.001193", "TrangThaiHoSo": status, **extra}
        return await self.http.post(f"{self.url}{SYNC}", json=body, headers=await self.bearer())

    async def switch(self, **changes: Any) -> httpx.Response:
        return await self.http.post(f"{self.url}/_simulator/config", json=changes)


@pytest.fixture
async def platform() -> AsyncIterator[Platform]:
    clock = FakeClock()
    app = create_national_app(CONFIG, clock=clock)
    async with TestServer(app, host="127.0.0.1") as server, httpx.AsyncClient(timeout=5) as http:
        yield Platform(server, app[NATIONAL_STATE], http, clock)


async def test_client_credentials_issue_a_bearer_token(platform: Platform) -> None:
    response = await platform.token()
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 2
    assert body["access_token"]
    assert platform.state.tokens_issued == 1


@pytest.mark.parametrize("auth", [None, (CLIENT, "wrong"), ("nobody", SECRET)])
async def test_bad_client_credentials_are_401_invalid_client(platform: Platform, auth: Any) -> None:
    response = await platform.token(auth=auth)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert platform.state.tokens_issued == 0


async def test_a_malformed_basic_header_is_401(platform: Platform) -> None:
    response = await platform.http.post(
        f"{platform.url}/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": "Basic !!!"},
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("form", "error"),
    [({"grant_type": "password"}, "unsupported_grant_type"), ({"scope": "x"}, "invalid_request")],
)
async def test_a_bad_grant_is_400(platform: Platform, form: dict[str, str], error: str) -> None:
    response = await platform.token(**form)
    assert response.status_code == 400
    assert response.json()["error"] == error


async def test_apis_need_a_live_bearer_token(platform: Platform) -> None:
    path = f"/dancu/1.0/congdan/{PERSON}"
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic x"}):
        response = await platform.http.get(f"{platform.url}{path}", headers=headers)
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_token"
        assert "invalid_token" in response.headers["WWW-Authenticate"]
    headers = await platform.bearer()
    assert (await platform.get(path, headers)).status_code == 200
    platform.clock.now += 2.0  # the token's whole lifetime
    expired = await platform.get(path, headers)
    assert expired.status_code == 401
    assert expired.json()["error"] == "invalid_token"


async def test_citizen_lookup(platform: Platform) -> None:
    found = await platform.get(f"/dancu/1.0/congdan/{PERSON}")
    assert found.json() == {
        "soDinhDanh": PERSON,
        "hoVaTen": "Nguyễn Thị An",
        "ngaySinh": "2024-03-05",
        "gioiTinh": "female",
        "noiThuongTru": "Tuy Hòa, Phú Yên",
    }
    missing = await platform.get("/dancu/1.0/congdan/001090000001")
    assert missing.status_code == 404
    assert missing.json()["ErrorCode"] == "CITIZEN_NOT_FOUND"


async def test_catalogue_item(platform: Platform) -> None:
    assert (await platform.get("/dmdc/1.0/DanToc/01")).json()["ten"] == "Kinh"
    assert (await platform.get("/dmdc/1.0/Tinh/054")).json() == {
        "loaiDanhMuc": "Tinh",
        "ma": "054",
        "ten": "Phú Yên",
    }
    assert (await platform.get("/dmdc/1.0/Tinh/054")).json()["loaiDanhMuc"] == "Tinh"
    no_code = await platform.get("/dmdc/1.0/Tinh/999")
    no_list = await platform.get("/dmdc/1.0/Nothing/01")
    no_catalog = await platform.get("/nothing/1.0/Tinh/054")
    assert (no_code.status_code, no_code.json()["ErrorCode"]) == (404, "CODE_NOT_FOUND")
    for missing in (no_list, no_catalog):
        assert (missing.status_code, missing.json()["ErrorCode"]) == (404, "CATALOG_NOT_FOUND")


async def test_catalogue_search(platform: Platform) -> None:
    found = (await platform.get("/dmdc/1.0/DanToc?tuKhoa=thai")).json()
    assert found == {
        "loaiDanhMuc": "DanToc",
        "tuKhoa": "thai",
        "danhSach": [{"ma": "03", "ten": "Thái"}],
    }
    everything = (await platform.get("/dmdc/1.0/Tinh")).json()["danhSach"]
    assert {item["ma"] for item in everything} == {"001", "054", "064", "080", "093"}
    by_code = (await platform.get("/dmdc/1.0/Tinh?tuKhoa=054")).json()["danhSach"]
    assert by_code == [{"ma": "054", "ten": "Phú Yên"}]
    assert (await platform.get("/dmdc/1.0/Tinh?tuKhoa=Paris")).json()["danhSach"] == []
    unknown = await platform.get("/dmdc/1.0/Nothing?tuKhoa=x")
    assert (unknown.status_code, unknown.json()["ErrorCode"]) == (404, "CATALOG_NOT_FOUND")


async def test_catalogue_routes_leave_the_other_apis_alone(platform: Platform) -> None:
    assert (await platform.get(f"/dancu/1.0/congdan/{PERSON}")).status_code == 200
    assert (await platform.get("/dvcqg/1.0/hoso/NOPE")).json()["ErrorCode"] == "DOSSIER_NOT_FOUND"
    assert (await platform.get("/dmdc/1.0/Tinh/054", {"Accept": "*/*"})).status_code == 401


async def test_dossier_statuses_are_recorded_in_order(platform: Platform) -> None:
    for status in (1, 2, 4, 9, 10):
        response = await platform.sync(status, NgayTiepNhan="20261123090000")
        assert response.status_code == 200, response.text
        assert response.json()["recorded"] is True
    history = (await platform.get("/dvcqg/1.0/hoso/H41.1-2611-0001")).json()
    assert history["MaTTHC"] == "1.001193"
    assert history["TrangThaiHoSo"] == 10
    assert [entry["TrangThaiHoSo"] for entry in history["LichSu"]] == [1, 2, 4, 9, 10]
    assert history["LichSu"][0]["NgayTiepNhan"] == "20261123090000"


async def test_a_lower_status_is_refused_with_409(platform: Platform) -> None:
    assert (await platform.sync(4)).status_code == 200
    refused = await platform.sync(2)
    assert refused.status_code == 409
    assert refused.json()["ErrorCode"] == "STATUS_OUT_OF_ORDER"
    resend = await platform.sync(4)
    assert resend.status_code == 200
    assert resend.json()["recorded"] is False
    other = await platform.sync(1, dossier="H41.1-2611-0002")  # histories are per dossier
    assert other.status_code == 200
    history = (await platform.get("/dvcqg/1.0/hoso/H41.1-2611-0001")).json()
    assert [entry["TrangThaiHoSo"] for entry in history["LichSu"]] == [4]


@pytest.mark.parametrize(
    "body",
    [
        [1],
        {"MaTTHC": "1.001193", "TrangThaiHoSo": 1},
        {"MaHoSo": "X", "TrangThaiHoSo": 1},
        {"MaHoSo": "X", "MaTTHC": "1.001193", "TrangThaiHoSo": 11},
        {"MaHoSo": "X", "MaTTHC": "1.001193", "TrangThaiHoSo": "4"},
        {"MaHoSo": "X", "MaTTHC": "1.001193", "TrangThaiHoSo": True},
    ],
)
async def test_an_invalid_dossier_is_400(platform: Platform, body: Any) -> None:
    headers = await platform.bearer()
    response = await platform.http.post(f"{platform.url}{SYNC}", json=body, headers=headers)
    assert response.status_code == 400
    assert response.json()["ErrorCode"] == "INVALID_DOSSIER"


async def test_an_unknown_dossier_history_is_404(platform: Platform) -> None:
    response = await platform.get("/dvcqg/1.0/hoso/NOPE")
    assert (response.status_code, response.json()["ErrorCode"]) == (404, "DOSSIER_NOT_FOUND")


async def test_down_covers_token_and_apis(platform: Platform) -> None:
    headers = await platform.bearer()
    await platform.switch(down=True)
    assert (await platform.token()).status_code == 503
    assert (await platform.get("/dmdc/1.0/Tinh/054", headers)).status_code == 503
    await platform.switch(down=False)
    assert (await platform.get("/dmdc/1.0/Tinh/054", headers)).status_code == 200


async def test_error_rate_and_latency(platform: Platform) -> None:
    headers = await platform.bearer()
    await platform.switch(error_rate=1.0)
    busy = await platform.get("/dmdc/1.0/Tinh/054", headers)
    assert (busy.status_code, busy.json()["error"]) == (503, "temporarily_unavailable")
    await platform.switch(error_kind="http")
    assert (await platform.token()).status_code == 500
    await platform.switch(error_rate=0.0, latency=0.5)
    with pytest.raises(httpx.ReadTimeout):
        await platform.http.get(f"{platform.url}/dmdc/1.0/Tinh/054", headers=headers, timeout=0.05)
    await platform.switch(latency=0.0)
    assert (await platform.get("/dmdc/1.0/Tinh/054", headers)).status_code == 200
    assert (await platform.switch(latency=-1)).status_code == 400


async def test_run_context_manager_and_state_counter() -> None:
    async with (
        asyncio.timeout(10),
        run_national_simulator(CONFIG) as url,
        httpx.AsyncClient(timeout=5) as http,
    ):
        assert url.startswith("http://127.0.0.1:")
        for _ in range(3):
            response = await http.post(
                f"{url}/token", data={"grant_type": "client_credentials"}, auth=(CLIENT, SECRET)
            )
            assert response.status_code == 200
        state = (await http.get(f"{url}/_simulator/state")).json()
        assert state["tokens_issued"] == 3


def test_config_hides_secrets_and_citizens() -> None:
    assert SECRET not in repr(CONFIG)
    assert "Nguyễn" not in repr(CONFIG.citizens[PERSON])
    with pytest.raises(ValueError, match="token_lifetime"):
        NationalState(NationalConfig(clients={}, token_lifetime=0))
