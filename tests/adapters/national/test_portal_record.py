"""A dossier state in the public service portal's field names and time format."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from lgsp.adapters.national import dossier_record, portal_time
from lgsp.schemas import DossierSync
from tests.adapters.national.national_support import NAME, dossier


def test_times_are_written_in_vietnam_time() -> None:
    assert portal_time(datetime(2026, 3, 10, 1, 15, 0, tzinfo=UTC)) == "20260310081500"
    paris = timezone(timedelta(hours=1))
    assert portal_time(datetime(2026, 3, 9, 23, 59, 59, tzinfo=paris)) == "20260310055959"
    with pytest.raises(ValueError, match="timezone-aware"):
        portal_time(datetime(2026, 3, 10, 8, 15))


def test_a_returned_dossier_in_the_portals_words() -> None:
    step = {
        "handled_at": "2026-11-23T09:00:00+07:00",
        "handler": "Lê Văn Cường",
        "department": "Bộ phận một cửa",
        "content": "Tiếp nhận hồ sơ",
    }
    body = DossierSync.model_validate(dossier(10, steps=[step]))
    assert dossier_record(body) == {
        "MaHoSo": "000.00.21.H41-261123-0001",
        "MaTTHC": "1.001193",
        "TenTTHC": "Đăng ký khai sinh",
        "ChuHoSo": NAME,
        "KenhThucHien": 2,
        "DonViXuLy": "UBND xã Hòa Kiến",
        "NgayTiepNhan": "20261123081500",
        "NgayHenTra": "20261124081500",
        "TrangThaiHoSo": 10,
        "NgayTra": "20261124041500",
        "QuaTrinhXuLy": [
            {
                "ThoiDiemXuLy": "20261123090000",
                "NguoiXuLy": "Lê Văn Cường",
                "PhongBanXuLy": "Bộ phận một cửa",
                "NoiDungXuLy": "Tiếp nhận hồ sơ",
            }
        ],
    }


def test_what_the_body_leaves_out_is_left_out() -> None:
    body = DossierSync.model_validate(dossier(4, due_at=None))
    record = dossier_record(body)
    assert "NgayHenTra" not in record
    assert "NgayTra" not in record
    assert record["QuaTrinhXuLy"] == []
    assert record["TrangThaiHoSo"] == 4
