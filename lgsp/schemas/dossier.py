"""Body of ``national.dossier_sync``: a dossier's state for the National Public Service Portal.

Every one-stop-shop (Một cửa điện tử) system reports each dossier (hồ sơ thủ tục hành chính) to the
National Public Service Portal (Cổng Dịch vụ công quốc gia, Cổng DVCQG), which publishes on-time
rates from them. Field names are English; each description keeps the portal's name (``MaHoSo``,
``TrangThaiHoSo``...). Times must carry their offset (the adapter writes the portal's own format):
a comparison between a zoned and an unzoned time would be a guess.

Not for: the portal's wire format or token handling (the national adapter's job), the portal's
answer, or any I/O.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Annotated

from pydantic import AwareDatetime, Field, StringConstraints, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from lgsp.schemas._base import LGSPModel

__all__ = ["Channel", "DossierStatus", "DossierSync", "ProcessingStep"]

_Code = Annotated[str, StringConstraints(min_length=1, max_length=50)]
_Text = Annotated[str, StringConstraints(min_length=1, max_length=200)]
_LongText = Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class DossierStatus(IntEnum):
    """A dossier's status as the portal numbers it (TrangThaiHoSo)."""

    REGISTERED = 1
    """mới đăng ký: submitted, not yet checked"""
    RECEIVED = 2
    """đã tiếp nhận"""
    NOT_RECEIVED = 3
    """không được tiếp nhận"""
    PROCESSING = 4
    """đang xử lý"""
    MORE_PAPERS_REQUESTED = 5
    """yêu cầu bổ sung giấy tờ"""
    PAYMENT_REQUESTED = 6
    """yêu cầu thực hiện nghĩa vụ tài chính"""
    WITHDRAWN = 7
    """công dân yêu cầu rút hồ sơ"""
    STOPPED = 8
    """dừng xử lý"""
    PROCESSED = 9
    """đã xử lý xong"""
    RESULT_RETURNED = 10
    """đã trả kết quả"""


class Channel(IntEnum):
    """How the dossier was filed (KenhThucHien)."""

    IN_PERSON = 1
    """trực tiếp"""
    ONLINE = 2
    """trực tuyến"""
    POST = 3
    """qua bưu chính công ích"""


class ProcessingStep(LGSPModel):
    """One step of the dossier's processing (QuaTrinhXuLy)."""

    handled_at: AwareDatetime = Field(description="ThoiDiemXuLy")
    handler: _Text | None = Field(default=None, description="NguoiXuLy")
    position: _Text | None = Field(default=None, description="ChucDanh")
    department: _Text | None = Field(default=None, description="PhongBanXuLy")
    content: _LongText | None = Field(default=None, description="NoiDungXuLy")


class DossierSync(LGSPModel):
    """Body of ``national.dossier_sync``: one dossier's state (đồng bộ hồ sơ lên Cổng DVCQG)."""

    dossier_code: _Code = Field(description="MaHoSo")
    procedure_code: _Code = Field(description="MaTTHC")
    procedure_name: Annotated[str, StringConstraints(min_length=1, max_length=500)] = Field(
        description="TenTTHC"
    )
    # Hidden from repr: the applicant is usually a citizen, and models end up in logs.
    owner: _Text = Field(repr=False, description="ChuHoSo")
    channel: Channel = Field(description="KenhThucHien: 1 in person, 2 online, 3 by post")
    handling_unit: _Text = Field(description="DonViXuLy")
    received_at: AwareDatetime = Field(description="NgayTiepNhan")
    due_at: AwareDatetime | None = Field(default=None, description="NgayHenTra")
    status: DossierStatus = Field(description="TrangThaiHoSo")
    # validate_default: a missing NgayTra is itself an error once the result is returned.
    returned_at: AwareDatetime | None = Field(
        default=None, validate_default=True, description="NgayTra"
    )
    steps: tuple[ProcessingStep, ...] = Field(
        default=(), max_length=500, description="QuaTrinhXuLy"
    )

    @field_validator("due_at")
    @classmethod
    def _due_after_received(
        cls, due_at: AwareDatetime | None, info: ValidationInfo
    ) -> AwareDatetime | None:
        received: AwareDatetime | None = info.data.get("received_at")
        if due_at is not None and received is not None and due_at < received:
            raise PydanticCustomError(
                "due_before_received",
                "due_at (NgayHenTra {due}) is before received_at (NgayTiepNhan {received})",
                {"due": due_at.isoformat(), "received": received.isoformat()},
            )
        return due_at

    @field_validator("returned_at")
    @classmethod
    def _returned_when_done(
        cls, returned_at: AwareDatetime | None, info: ValidationInfo
    ) -> AwareDatetime | None:
        if returned_at is None:
            if info.data.get("status") is DossierStatus.RESULT_RETURNED:
                raise PydanticCustomError(
                    "returned_at_missing",
                    "status 10 (result returned) needs returned_at (NgayTra)",
                )
            return returned_at
        received: AwareDatetime | None = info.data.get("received_at")
        if received is not None and returned_at < received:
            raise PydanticCustomError(
                "returned_before_received",
                "returned_at (NgayTra {returned}) is before received_at (NgayTiepNhan {received})",
                {"returned": returned_at.isoformat(), "received": received.isoformat()},
            )
        return returned_at
