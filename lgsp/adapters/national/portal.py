"""A dossier state in the National Public Service Portal's words (đồng bộ hồ sơ lên Cổng DVCQG).

``dossier_record`` turns a ``DossierSync`` body (English field names) into the JSON object the
portal's ``/hoso/dongbo`` takes::

    MaHoSo, MaTTHC, TenTTHC, ChuHoSo, KenhThucHien (1|2|3), DonViXuLy, NgayTiepNhan,
    NgayHenTra?, TrangThaiHoSo (1..10), NgayTra?, QuaTrinhXuLy: [{ThoiDiemXuLy, NguoiXuLy?,
    ChucDanh?, PhongBanXuLy?, NoiDungXuLy?}]

Times are written ``yyyyMMddHHmmss`` in Vietnam's time (UTC+07:00, no daylight saving), the
portal's own format: a time given in another zone is converted, never just relabelled. Fields
the body leaves out are left out (not sent as empty strings). Numbers stay numbers.

Not for: HTTP (``lgsp.adapters.national.client``) or validation (``lgsp.schemas.dossier``).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from lgsp.schemas import DossierSync, ProcessingStep

__all__ = ["PORTAL_TIME_FORMAT", "PORTAL_ZONE", "dossier_record", "portal_time"]

PORTAL_TIME_FORMAT = "%Y%m%d%H%M%S"
"""``yyyyMMddHHmmss``, e.g. ``20260310081500``."""
PORTAL_ZONE = timezone(timedelta(hours=7), "ICT")
"""Indochina time, the zone the portal's times are read in."""


def portal_time(moment: datetime) -> str:
    """``moment`` (timezone-aware) as the portal writes times."""
    if moment.tzinfo is None:
        raise ValueError("a portal time needs a timezone-aware datetime")
    return moment.astimezone(PORTAL_ZONE).strftime(PORTAL_TIME_FORMAT)


def dossier_record(dossier: DossierSync) -> dict[str, Any]:
    """The portal's JSON object for ``dossier``."""
    record: dict[str, Any] = {
        "MaHoSo": dossier.dossier_code,
        "MaTTHC": dossier.procedure_code,
        "TenTTHC": dossier.procedure_name,
        "ChuHoSo": dossier.owner,
        "KenhThucHien": int(dossier.channel),
        "DonViXuLy": dossier.handling_unit,
        "NgayTiepNhan": portal_time(dossier.received_at),
        "TrangThaiHoSo": int(dossier.status),
    }
    if dossier.due_at is not None:
        record["NgayHenTra"] = portal_time(dossier.due_at)
    if dossier.returned_at is not None:
        record["NgayTra"] = portal_time(dossier.returned_at)
    record["QuaTrinhXuLy"] = [_step(step) for step in dossier.steps]
    return record


def _step(step: ProcessingStep) -> dict[str, Any]:
    entry: dict[str, Any] = {"ThoiDiemXuLy": portal_time(step.handled_at)}
    for name, value in (
        ("NguoiXuLy", step.handler),
        ("ChucDanh", step.position),
        ("PhongBanXuLy", step.department),
        ("NoiDungXuLy", step.content),
    ):
        if value is not None:
            entry[name] = value
    return entry
