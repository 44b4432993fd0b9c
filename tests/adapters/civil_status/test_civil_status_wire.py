"""What the far sides' answers mean (``wire``), and the Ministry's names for the bodies
(``mapping``), with the transport swapped for ``httpx.MockTransport``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from lgsp.adapters.civil_status import ServiceRefused, ServiceTrouble
from lgsp.adapters.civil_status.mapping import from_ministry, to_ministry
from lgsp.adapters.civil_status.wire import call_service, raise_for_code
from lgsp.schemas import BirthRegistration, DeathRegistration, MarriageRegistration
from tests.adapters.civil_status.civil_status_support import BIRTH, MOTHER_ID
from tests.schemas.civil_national_samples import DEATH, HUSBAND_ID, MARRIAGE, WIFE_ID

URL = "http://far.test/service"


async def ask(respond: Callable[[httpx.Request], httpx.Response]) -> None:
    async with httpx.AsyncClient(transport=httpx.MockTransport(respond)) as http:
        answer = await call_service(
            http, URL, service="the far side", body={}, headers={}, timeout=1.0
        )
        raise_for_code(answer, service="the far side", target=URL)


def coded(code: int, message: str = "") -> Callable[[httpx.Request], httpx.Response]:
    def respond(request: httpx.Request) -> httpx.Response:
        body = {"status": "FAIL", "errorCode": code, "errorMessage": message, "data": None}
        return httpx.Response(200, json=body)

    return respond


def status(code: int, text: str = "") -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(code, text=text)


def raising(exc: Exception) -> Callable[[httpx.Request], httpx.Response]:
    def respond(request: httpx.Request) -> httpx.Response:
        raise exc

    return respond


@pytest.mark.parametrize("code", [200, 201, 302, 500, 106])
async def test_permanent_codes(code: int) -> None:
    with pytest.raises(ServiceRefused) as refused:
        await ask(coded(code, "thiếu trường nksHoTen"))
    assert refused.value.code == code
    assert refused.value.message == "thiếu trường nksHoTen"
    assert refused.value.target == URL
    assert refused.value.reason.endswith(": thiếu trường nksHoTen")


@pytest.mark.parametrize("code", [100, 101, 999, 777])
async def test_transient_codes(code: int) -> None:
    with pytest.raises(ServiceTrouble) as trouble:
        await ask(coded(code))
    assert trouble.value.code == code


@pytest.mark.parametrize(
    ("respond", "kind", "said"),
    [
        (status(503), ServiceTrouble, "HTTP 503"),
        (status(502), ServiceTrouble, "HTTP 502"),
        (status(429), ServiceTrouble, "HTTP 429"),
        (status(401), ServiceTrouble, "HTTP 401"),
        (status(404), ServiceRefused, "HTTP 404"),
        (status(200, "<html>proxy</html>"), ServiceTrouble, "unreadable"),
        (raising(httpx.ReadTimeout("slow")), ServiceTrouble, "timed out"),
        (raising(httpx.ConnectError("refused")), ServiceTrouble, "unreachable (ConnectError)"),
    ],
)
async def test_http_trouble_is_translated_at_the_boundary(
    respond: Callable[[httpx.Request], httpx.Response], kind: type[Exception], said: str
) -> None:
    with pytest.raises(kind) as caught:
        await ask(respond)
    assert said in str(caught.value)
    assert not isinstance(caught.value, httpx.HTTPError)


async def test_a_far_side_message_is_masked() -> None:
    with pytest.raises(ServiceRefused) as refused:
        await ask(coded(500, f"số định danh {MOTHER_ID} không hợp lệ"))
    assert MOTHER_ID not in refused.value.reason
    assert "054*********" in refused.value.reason


async def test_success_passes() -> None:
    await ask(lambda request: httpx.Response(200, json={"status": "OK", "errorCode": 0}))


def test_birth_in_the_ministrys_names() -> None:
    data = to_ministry(BirthRegistration.model_validate(BIRTH))
    assert data["nksHoTen"] == "Nguyễn Thị An"
    assert data["nksGioiTinh"] == "2"
    assert data["nksNgaySinh"] == "10/03/2026"
    assert data["nksNoiSinh"] == {"tinh": "Phú Yên", "chiTiet": "Bệnh viện Đa khoa tỉnh Phú Yên"}
    assert data["meHoTen"] == "Trần Thị Bình"
    assert data["meSoDinhDanh"] == MOTHER_ID
    assert data["meLoaiGiayToTuyThan"] == "2"
    assert data["meNoiCuTru"]["xa"] == "Phường 1"
    assert data["nycQuanHe"] == "cha"
    assert (data["maGCS"], data["ngayCapGCS"]) == ("GCS-2026-000123", "11/03/2026")
    assert (data["loaiDangKy"], data["noiDangKy"]) == ("1", BIRTH["registration_place"])
    assert (data["soLuongBanSao"], data["ngayDangKy"]) == ("2", "20/03/2026")
    assert "nksSoDinhDanh" not in data  # absent fields are left out
    assert all(isinstance(v, str | dict) for v in data.values())


def test_death_carries_its_time_on_the_date() -> None:
    data = to_ministry(DeathRegistration.model_validate(DEATH))
    assert data["nktNgayChet"] == "03/10/2026 04:30"
    assert data["nktNguyenNhanChet"] == "Bệnh già"
    assert (data["gbtSo"], data["gbtNgayCap"]) == ("GBT-2026-0042", "04/10/2026")


def test_marriage_in_the_ministrys_names() -> None:
    data = to_ministry(MarriageRegistration.model_validate(MARRIAGE))
    assert (data["chongSoDinhDanh"], data["voSoDinhDanh"]) == (HUSBAND_ID, WIFE_ID)
    assert (data["chongTinhTrangHonNhan"], data["voTinhTrangHonNhan"]) == ("3", "1")
    assert data["chongKetHonLanThu"] == "2"


@pytest.mark.parametrize(
    ("module", "model", "body"),
    [
        ("KS", BirthRegistration, BIRTH),
        ("KT", DeathRegistration, DEATH),
        ("KH", MarriageRegistration, MARRIAGE),
    ],
)
def test_the_ministrys_record_reads_back_as_the_body(
    module: str, model: type[Any], body: dict[str, Any]
) -> None:
    registration = model.model_validate(body)
    back = from_ministry(module, to_ministry(registration))
    assert model.model_validate(back) == registration


def test_unreadable_values_are_kept_as_they_came() -> None:
    back = from_ministry("KS", {"nksGioiTinh": "x", "nksNgaySinh": "someday", "nksHoTen": "A"})
    assert back == {"child": {"sex": "x", "birth_date": "someday", "full_name": "A"}}
