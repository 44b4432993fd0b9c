"""Body of ``civil_status.death``: a death registration (đăng ký khai tử).

Field names are English; each description keeps the Ministry of Justice's source name (``nktHoTen``,
``nktNgayChet``, ``gbtSo``...). The rules are a registry clerk's: dates in the order life and
paperwork happen (born, died, death notice, registration) and a personal ID number that agrees with
the sex and birth date written next to it.

``registration_kind`` ``joined_ltkt`` (liên thông khai tử) asks in one request for the death
registration, the removal of the deceased's permanent residence and the funeral allowance. A clerk
takes that file only with what the other two offices need: the deceased's personal ID number (the
residence registry finds the record by it) and last residence, and the identity of the requester,
who receives the allowance.

Not for: the Ministry's wire format or codes (the civil-status adapter's job), how the joined
procedure reaches the residence registry and social security (the adapter's legs), registration
results, or any I/O.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from lgsp.schemas._base import AgencyCode, LGSPModel
from lgsp.schemas.civil_status import (
    PersonalId,
    Place,
    Requester,
    Sex,
    check_personal_id_birth_date,
    check_personal_id_sex,
)

__all__ = ["DeathNotice", "DeathRegistration", "DeathRegistrationKind", "Deceased"]

_Name = Annotated[str, StringConstraints(min_length=1, max_length=100)]
_Text = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class Deceased(LGSPModel):
    """The person whose death is registered (người đã chết, ``nkt*``)."""

    full_name: _Name = Field(description="nktHoTen")
    sex: Sex = Field(description="nktGioiTinh")
    birth_date: dt.date | None = Field(default=None, description="nktNgaySinh")
    ethnicity: _Name | None = Field(default=None, description="nktDanToc")
    nationality: _Name | None = Field(default=None, description="nktQuocTich")
    residence: Place | None = Field(default=None, description="nktNoiCuTru: last residence")
    # After sex and birth_date so that the check below can read them and report at this field.
    personal_id: PersonalId | None = Field(default=None, repr=False, description="nktSoDinhDanh")
    death_date: dt.date = Field(description="nktNgayChet: the date of death")
    death_time: dt.time | None = Field(
        default=None, description="nktNgayChet: the time of death, when known (giờ, phút)"
    )
    death_place: Place = Field(description="nktNoiChet")
    cause: _Text | None = Field(default=None, description="nktNguyenNhanChet")

    @field_validator("personal_id")
    @classmethod
    def _personal_id_agrees(cls, personal_id: str | None, info: ValidationInfo) -> str | None:
        if personal_id is None:
            return personal_id
        sex: Sex | None = info.data.get("sex")
        if sex is not None:
            check_personal_id_sex(personal_id, sex, field="sex")
        born: dt.date | None = info.data.get("birth_date")
        if born is not None:
            check_personal_id_birth_date(personal_id, born, field="birth_date")
        return personal_id

    @field_validator("death_date")
    @classmethod
    def _death_after_birth(cls, death_date: dt.date, info: ValidationInfo) -> dt.date:
        born: dt.date | None = info.data.get("birth_date")
        if born is not None and death_date < born:
            raise PydanticCustomError(
                "death_before_birth",
                "death_date ({died}) is before birth_date ({born})",
                {"died": death_date.isoformat(), "born": born.isoformat()},
            )
        return death_date


class DeathNotice(LGSPModel):
    """The death notice (giấy báo tử, ``gbt*``) issued by a hospital, commune or police."""

    number: Annotated[str, StringConstraints(min_length=1, max_length=50)] = Field(
        description="gbtSo"
    )
    issued_on: dt.date = Field(description="gbtNgayCap")
    issued_by: _Text | None = Field(default=None, description="gbtNoiCap")


class DeathRegistrationKind(StrEnum):
    """Which procedure registers the death (loại đăng ký)."""

    ORDINARY = "ordinary"
    """đăng ký khai tử"""
    JOINED_LTKT = "joined_ltkt"
    """liên thông khai tử (LTKT): death registration, removal of the permanent residence and the
    funeral allowance, in one request."""


class DeathRegistration(LGSPModel):
    """Body of ``civil_status.death``: a death registration (đăng ký khai tử)."""

    # First, so that the checks of the parties below can read it and report at each party.
    registration_kind: DeathRegistrationKind = Field(
        default=DeathRegistrationKind.ORDINARY, description="loaiDangKy"
    )
    deceased: Deceased
    requester: Requester = Field(description="nyc*: who declares the death")
    registration_place: AgencyCode = Field(
        description="noiDangKy: agency code of the registering authority"
    )
    registered_on: dt.date = Field(description="ngayDangKy")
    death_notice: DeathNotice | None = Field(default=None, description="gbt*")
    copies: int = Field(default=0, ge=0, le=50, description="soLuongBanSao: extracts requested")

    # As in BirthRegistration, validators read earlier fields from ``info.data`` so each error is
    # reported at the field it is about; a field that failed its own validation is not re-checked.

    @field_validator("deceased")
    @classmethod
    def _deceased_for_ltkt(cls, deceased: Deceased, info: ValidationInfo) -> Deceased:
        if info.data.get("registration_kind") is not DeathRegistrationKind.JOINED_LTKT:
            return deceased
        if deceased.personal_id is None:
            raise PydanticCustomError(
                "ltkt_deceased_personal_id_required",
                "registration_kind joined_ltkt removes the deceased's permanent residence, which "
                "the residence registry finds by personal ID number; deceased.personal_id is "
                "missing",
            )
        if deceased.residence is None:
            raise PydanticCustomError(
                "ltkt_deceased_residence_required",
                "registration_kind joined_ltkt removes the deceased's permanent residence; "
                "deceased.residence (the last permanent residence) is missing",
            )
        return deceased

    @field_validator("requester")
    @classmethod
    def _requester_for_ltkt(cls, requester: Requester, info: ValidationInfo) -> Requester:
        if info.data.get("registration_kind") is not DeathRegistrationKind.JOINED_LTKT:
            return requester
        if requester.personal_id is None and requester.id_document is None:
            raise PydanticCustomError(
                "ltkt_requester_identity_required",
                "registration_kind joined_ltkt pays the funeral allowance to the requester, who "
                "must be identified; requester.personal_id and requester.id_document are both "
                "missing",
            )
        return requester

    @field_validator("registered_on")
    @classmethod
    def _registered_after_death(cls, registered_on: dt.date, info: ValidationInfo) -> dt.date:
        deceased: Deceased | None = info.data.get("deceased")
        if deceased is not None and deceased.death_date > registered_on:
            raise PydanticCustomError(
                "death_after_registration",
                "deceased.death_date ({died}) is after registered_on ({registered})",
                {"died": deceased.death_date.isoformat(), "registered": registered_on.isoformat()},
            )
        return registered_on

    @field_validator("death_notice")
    @classmethod
    def _notice_between_death_and_registration(
        cls, notice: DeathNotice | None, info: ValidationInfo
    ) -> DeathNotice | None:
        if notice is None:
            return notice
        deceased: Deceased | None = info.data.get("deceased")
        if deceased is not None and notice.issued_on < deceased.death_date:
            raise PydanticCustomError(
                "death_notice_before_death",
                "death_notice.issued_on ({issued}) is before deceased.death_date ({died})",
                {"issued": notice.issued_on.isoformat(), "died": deceased.death_date.isoformat()},
            )
        registered_on: dt.date | None = info.data.get("registered_on")
        if registered_on is not None and notice.issued_on > registered_on:
            raise PydanticCustomError(
                "death_notice_after_registration",
                "death_notice.issued_on ({issued}) is after registered_on ({registered})",
                {"issued": notice.issued_on.isoformat(), "registered": registered_on.isoformat()},
            )
        return notice
