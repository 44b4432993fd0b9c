"""The civil-status simulator (hộ tịch), driven over 127.0.0.1 with httpx."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import BaseTestServer, TestServer

from lgsp.errors import ConfigurationError
from lgsp.schemas.civil_status import (
    Sex,
    check_personal_id_birth_date,
    check_personal_id_sex,
    parse_personal_id,
)
from lgsp.simulators.civil_status import (
    CIVIL_STATUS_STATE,
    create_civil_status_app,
    run_civil_status_simulator,
)
from lgsp.simulators.civil_status_state import CivilStatusConfig, CivilStatusState

UNIT, OTHER = "000.00.12.H41", "000.00.13.H41"
KEYS = {UNIT: "key-h41-12", OTHER: "key-h41-13"}
CONFIG = CivilStatusConfig(
    api_keys=KEYS,
    needs_more_papers=frozenset({"HS-PAPERS"}),
    failing=frozenset({"HS-FAIL"}),
    seed=3,
)
REGISTER, STATUS = "/hotich/1.0/dangKyHoTich", "/hotich/1.0/traTrangThaiHoSo"
BIRTH = {
    "nksHoTen": "Nguyễn Thị An",
    "nksGioiTinh": "2",
    "nksNgaySinh": "2024-03-05",
    "nksNoiSinh": {"tinh": "Phú Yên"},
}
DEATH = {"nktHoTen": "Trần Văn Bình", "nktNgayChet": "10/01/2026"}
MARRIAGE = {"chongHoTen": "Lê Văn Cường", "voHoTen": "Phạm Thị Dung"}


class Registry:
    def __init__(self, url: str, http: httpx.AsyncClient) -> None:
        self.url = url
        self.http = http

    async def call(
        self, path: str, body: Any, *, key: str | None = KEYS[UNIT], expect: int = 200
    ) -> dict[str, Any]:
        headers = {"X-API-Key": key} if key is not None else {}
        response = await self.http.post(f"{self.url}{path}", json=body, headers=headers)
        assert response.status_code == expect, response.text
        answer: dict[str, Any] = response.json() if expect == 200 else {}
        return answer

    async def register(self, module: str, data: Any, dossier: str = "HS-1", **kw: Any) -> Any:
        body = {
            "maDonVi": UNIT,
            "module": module,
            "maHoSo": dossier,
            "ngayTiepNhan": "2026-11-23T09:00:00",
            "data": data,
        }
        return await self.call(REGISTER, body, **kw)

    async def status(self, dossier: str, unit: str = UNIT) -> dict[str, Any]:
        return await self.call(STATUS, {"maDonVi": unit, "maHoSo": dossier})

    async def switch(self, **changes: Any) -> httpx.Response:
        return await self.http.post(f"{self.url}/_simulator/config", json=changes)


@pytest.fixture
def app() -> web.Application:
    return create_civil_status_app(CONFIG)


@pytest.fixture
async def server(app: web.Application) -> AsyncIterator[BaseTestServer]:
    async with TestServer(app, host="127.0.0.1") as server:
        yield server


@pytest.fixture
async def registry(server: BaseTestServer) -> AsyncIterator[Registry]:
    async with httpx.AsyncClient(timeout=5) as http:
        yield Registry(str(server.make_url("")).rstrip("/"), http)


async def test_birth_registration_assigns_numbers_and_a_valid_personal_id(
    registry: Registry,
) -> None:
    answer = await registry.register("KS", BIRTH)
    assert (answer["status"], answer["errorCode"]) == ("OK", 0)
    data = answer["data"]
    assert data["maHoSo"] == "HS-1"
    assert {"soDangKy", "quyenSo", "trangSo"} <= set(data)
    personal_id = parse_personal_id(data["soDinhDanh"])
    assert personal_id.startswith("054")
    check_personal_id_birth_date(personal_id, dt.date(2024, 3, 5), field="nksNgaySinh")
    check_personal_id_sex(personal_id, Sex.FEMALE, field="nksGioiTinh")


async def test_death_and_marriage_get_numbers_but_no_personal_id(registry: Registry) -> None:
    death = (await registry.register("KT", DEATH, "HS-D"))["data"]
    marriage = (await registry.register("KH", MARRIAGE, "HS-M"))["data"]
    for data in (death, marriage):
        assert all(data[name] for name in ("soDangKy", "quyenSo", "trangSo"))
        assert "soDinhDanh" not in data


async def test_resending_a_dossier_answers_the_first_result(registry: Registry) -> None:
    first = await registry.register("KS", BIRTH)
    again = await registry.register("KS", BIRTH)
    second = await registry.register("KS", {**BIRTH, "nksGioiTinh": "1"}, "HS-2")
    assert again == first
    assert second["data"]["soDangKy"] != first["data"]["soDangKy"]
    assert int(second["data"]["soDinhDanh"][3]) % 2 == 0  # male


@pytest.mark.parametrize(
    ("key", "unit", "code"),
    [(None, UNIT, 100), ("wrong", UNIT, 100), (KEYS[OTHER], UNIT, 106)],
)
async def test_authentication_and_agency(
    registry: Registry, key: str | None, unit: str, code: int
) -> None:
    body = {"maDonVi": unit, "maHoSo": "HS-1"}
    answer = await registry.call(STATUS, body, key=key)
    assert (answer["status"], answer["errorCode"]) == ("FAIL", code)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"maHoSo": None}, 200),
        ({"maHoSo": ""}, 200),
        ({"data": None}, 200),
        ({"data": {"nksGioiTinh": "1", "nksNgaySinh": "2024-01-01"}}, 200),
        ({"maHoSo": 17}, 302),
        ({"data": ["not", "an", "object"]}, 302),
        ({"data": {**BIRTH, "nksHoTen": 5}}, 302),
        ({"module": "XX"}, 500),
        ({"ngayTiepNhan": "yesterday"}, 500),
        ({"data": {**BIRTH, "nksNgaySinh": "32/13/2024"}}, 500),
        ({"data": {**BIRTH, "nksGioiTinh": "x"}}, 500),
    ],
)
async def test_registration_is_checked_for_presence_types_and_values(
    registry: Registry, change: dict[str, Any], code: int
) -> None:
    body = {
        "maDonVi": UNIT,
        "module": "KS",
        "maHoSo": "HS-1",
        "ngayTiepNhan": "23/11/2026 09:00:00",
        "data": BIRTH,
        **change,
    }
    answer = await registry.call(REGISTER, body)
    assert (answer["status"], answer["errorCode"]) == ("FAIL", code), answer


async def test_a_body_that_is_not_json_or_not_an_object(registry: Registry) -> None:
    headers = {"X-API-Key": KEYS[UNIT]}
    not_json = await registry.http.post(f"{registry.url}{REGISTER}", content=b"{", headers=headers)
    assert not_json.json()["errorCode"] == 500
    array = await registry.call(REGISTER, [1, 2])
    assert array["errorCode"] == 302


async def test_status_walks_one_step_per_call(registry: Registry) -> None:
    for dossier in ("HS-1", "HS-PAPERS", "HS-FAIL"):
        await registry.register("KS", BIRTH, dossier)

    async def walk(dossier: str) -> list[int]:
        answers = [await registry.status(dossier) for _ in range(5)]
        return [answer["data"]["trangThai"] for answer in answers]

    assert await walk("HS-1") == [1, 3, 4, 4, 4]
    assert await walk("HS-PAPERS") == [1, 2, 3, 4, 4]
    assert await walk("HS-FAIL") == [1, 0, 0, 0, 0]


async def test_status_of_an_unknown_or_another_units_dossier_is_not_found(
    registry: Registry,
) -> None:
    await registry.register("KS", BIRTH)
    assert (await registry.status("HS-404"))["errorCode"] == 201
    other = await registry.call(STATUS, {"maDonVi": OTHER, "maHoSo": "HS-1"}, key=KEYS[OTHER])
    assert other["errorCode"] == 201


async def test_down_answers_503_and_comes_back(registry: Registry) -> None:
    assert (await registry.switch(down=True)).status_code == 200
    await registry.register("KS", BIRTH, expect=503)
    await registry.switch(down=False)
    assert (await registry.register("KS", BIRTH))["status"] == "OK"


async def test_error_rate_answers_transient_failures(registry: Registry) -> None:
    await registry.switch(error_rate=1.0)
    answer = await registry.register("KS", BIRTH)
    assert (answer["status"], answer["errorCode"]) == ("FAIL", 999)
    await registry.switch(error_kind="http")
    await registry.register("KS", BIRTH, expect=503)
    await registry.switch(error_rate=0.0)
    assert (await registry.register("KS", BIRTH))["status"] == "OK"


async def test_latency_delays_calls_and_a_short_timeout_gives_up(registry: Registry) -> None:
    await registry.switch(latency=0.5)
    with pytest.raises(httpx.ReadTimeout):
        await registry.http.post(
            f"{registry.url}{REGISTER}", json={}, headers={"X-API-Key": KEYS[UNIT]}, timeout=0.05
        )
    await registry.switch(latency=0.01)
    assert (await registry.register("KS", BIRTH))["status"] == "OK"


async def test_bad_switches_are_refused_and_state_shows_no_personal_data(
    registry: Registry, app: web.Application
) -> None:
    assert (await registry.switch(error_rate=2)).status_code == 400
    assert (await registry.switch(nonsense=1)).status_code == 400
    await registry.register("KS", BIRTH)
    state = (await registry.http.get(f"{registry.url}/_simulator/state")).json()
    assert state["switches"]["error_rate"] == 0.0
    [record] = state["records"]
    assert record["maHoSo"] == "HS-1"
    assert "soDinhDanh" not in record
    assert len(app[CIVIL_STATUS_STATE].records) == 1


async def test_run_context_manager_serves_on_loopback() -> None:
    async with (
        asyncio.timeout(10),
        run_civil_status_simulator(CONFIG) as url,
        httpx.AsyncClient(timeout=5) as http,
    ):
        assert url.startswith("http://127.0.0.1:")
        registry = Registry(url, http)
        assert (await registry.register("KH", MARRIAGE))["status"] == "OK"


def test_config_hides_keys_and_checks_the_province() -> None:
    assert "key-h41" not in repr(CONFIG)
    with pytest.raises(ConfigurationError):
        CivilStatusState(CivilStatusConfig(api_keys=KEYS, province_code="999"))


LOOKUP = "/hotich/1.0/traCuuHoTich"


async def test_lookup_by_personal_id_answers_the_record_and_its_status(
    registry: Registry,
) -> None:
    registered = (await registry.register("KS", BIRTH))["data"]
    await registry.status("HS-1")
    await registry.status("HS-1")
    body = {"maDonVi": UNIT, "module": "KS", "soDinhDanh": registered["soDinhDanh"]}
    found = await registry.call(LOOKUP, body)
    assert (found["status"], found["errorCode"]) == ("OK", 0)
    data = found["data"]
    assert {k: data[k] for k in registered} == registered
    assert (data["module"], data["trangThai"]) == ("KS", 3)  # as last answered, not moved on
    assert data["data"]["nksHoTen"] == BIRTH["nksHoTen"]
    assert (await registry.status("HS-1"))["data"]["trangThai"] == 4


async def test_lookup_by_number_or_by_the_person_in_the_record(registry: Registry) -> None:
    death = {**DEATH, "nktSoDinhDanh": "064052001234"}
    registered = (await registry.register("KT", death, "HS-D"))["data"]
    by_number = {
        "module": "KT",
        "soDangKy": registered["soDangKy"],
        "quyenSo": registered["quyenSo"],
    }
    assert (await registry.call(LOOKUP, {"maDonVi": UNIT, **by_number}))["errorCode"] == 0
    by_id = {"maDonVi": UNIT, "module": "KT", "soDinhDanh": "064052001234"}
    assert (await registry.call(LOOKUP, by_id))["data"]["maHoSo"] == "HS-D"
    # Any unit may look up: the Ministry's records are national.
    other = {**by_id, "maDonVi": OTHER}
    assert (await registry.call(LOOKUP, other, key=KEYS[OTHER]))["errorCode"] == 0


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"module": "KS", "soDinhDanh": "054224000000"}, 201),
        ({"module": "KH", "soDangKy": "1/2026"}, 201),
        ({"module": "KT", "soDangKy": "1/2026", "quyenSo": "09/2026/KT"}, 201),
        ({"module": "KT", "soDangKy": "1/2026", "noiDangKy": "000.00.99.H41"}, 201),
        ({"module": "KS"}, 200),
        ({"soDinhDanh": "054224000000"}, 200),
        ({"module": "XX", "soDangKy": "1"}, 500),
        ({"module": "KS", "soDangKy": 1}, 302),
    ],
)
async def test_lookup_not_found_and_refused(
    registry: Registry, body: dict[str, Any], code: int
) -> None:
    await registry.register("KT", {**DEATH, "noiDangKy": "000.00.12.H41"}, "HS-D")
    answer = await registry.call(LOOKUP, {"maDonVi": UNIT, **body})
    assert (answer["status"], answer["errorCode"]) == ("FAIL", code), answer


async def test_state_counts_calls_per_path(registry: Registry) -> None:
    await registry.register("KS", BIRTH)
    await registry.status("HS-1")
    await registry.switch(down=True)
    await registry.call(STATUS, {"maDonVi": UNIT, "maHoSo": "HS-1"}, expect=503)
    state = (await registry.http.get(f"{registry.url}/_simulator/state")).json()
    assert state["calls"] == {REGISTER: 1, STATUS: 2}
