"""Bodies of the civil-status axis (hộ tịch): ``civil_status.birth``, and the ``PersonalId`` type.

Field names are English; each field's description keeps the Ministry of Justice's source name
(``nksHoTen``, ``meSoDinhDanh``, ``loaiDangKy``...) so the civil-status adapter can map one onto
the other. The rules here are the ones a registry clerk would refuse a paper form for: a personal
ID number that cannot be one, or that contradicts the birth date or sex written next to it; dates
out of order.

Not for: the Ministry's wire format (``{maDonVi, module, maHoSo, ngayTiepNhan, data}``, its codes
for sex, ethnicity or registration kind: the adapter's job), registration results
(``soDinhDanh``, ``soDangKy``...), death and marriage (``civil_status_death``,
``civil_status_marriage``), lookups (``civil_status_lookup``), or any I/O.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    Field,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from lgsp.schemas._base import AgencyCode, LGSPModel

__all__ = [
    "PROVINCE_CODES",
    "BirthNotice",
    "BirthRegistration",
    "Child",
    "IdDocument",
    "IdDocumentType",
    "Parent",
    "PersonalId",
    "Place",
    "RegistrationKind",
    "Requester",
    "Sex",
    "check_personal_id_birth_date",
    "check_personal_id_sex",
    "parse_personal_id",
]

# Province codes that open a personal ID number (mã tỉnh nơi đăng ký khai sinh), from the Ministry
# of Public Security's list (Thông tư 07/2016/TT-BCA, kept by Thông tư 59/2021/TT-BCA): the 63
# provinces of 2008–2025, numbered with gaps. Numbers already issued keep their code after the 2025
# province mergers; should the Ministry publish codes for the merged provinces, add them here.
PROVINCE_CODES: frozenset[str] = frozenset(
    {
        "001", "002", "004", "006", "008", "010", "011", "012", "014", "015",  # Hà Nội…Yên Bái
        "017", "019", "020", "022", "024", "025", "026", "027", "030", "031",  # Hòa Bình…Hải Phòng
        "033", "034", "035", "036", "037", "038", "040", "042", "044", "045",  # Hưng Yên…Quảng Trị
        "046", "048", "049", "051", "052", "054", "056", "058", "060", "062",  # Huế…Kon Tum
        "064", "066", "067", "068", "070", "072", "074", "075", "077", "079",  # Gia Lai…TP HCM
        "080", "082", "083", "084", "086", "087", "089", "091", "092", "093",  # Long An…Hậu Giang
        "094", "095", "096",  # Sóc Trăng, Bạc Liêu, Cà Mau
    }
)  # fmt: skip


def parse_personal_id(value: str) -> str:
    """Return ``value`` when it can be a personal ID number (số định danh cá nhân), else raise.

    Messages never repeat the number: it is personal data and errors end up in logs.
    """
    if len(value) != 12:
        raise PydanticCustomError(
            "personal_id_length",
            "a personal ID number has exactly 12 digits; got {length} characters",
            {"length": len(value)},
        )
    if not (value.isascii() and value.isdigit()):
        raise PydanticCustomError("personal_id_digits", "a personal ID number has digits 0-9 only")
    if value[:3] not in PROVINCE_CODES:
        raise PydanticCustomError(
            "personal_id_province",
            "a personal ID number starts with a province code (001 Hà Nội … 096 Cà Mau); "
            "{code} is not one",
            {"code": value[:3]},
        )
    return value


PersonalId = Annotated[
    str,
    AfterValidator(parse_personal_id),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": "^[0-9]{12}$",
            "description": "Personal ID number (số định danh cá nhân): province code, "
            "century-and-sex digit, two year digits, six more digits",
        }
    ),
]
"""A personal ID number (số định danh cá nhân): 12 digits, the first three a province code.

Only what the number says by itself is checked here; whether it agrees with a birth date or a sex
is checked by the model that has them (``check_personal_id_birth_date``, ``check_personal_id_sex``).
"""


def _century_start(personal_id: str) -> int:
    # 4th digit: 0/1 born 1900–1999, 2/3 2000–2099, 4/5 2100s, 6/7 2200s, 8/9 2300s (TT 07/2016).
    return 1900 + int(personal_id[3]) // 2 * 100


def check_personal_id_birth_date(personal_id: str, birth_date: dt.date, *, field: str) -> None:
    """Raise unless the ID's century digit and year digits agree with ``birth_date``.

    ``field`` names the birth date in the message (``mother.birth_date``), because a check that
    spans two fields is reported at the model holding them.
    """
    start = _century_start(personal_id)
    if not start <= birth_date.year < start + 100:
        raise PydanticCustomError(
            "personal_id_century",
            "the 4th digit of the personal ID number ({digit}) means born in {start}–{end}, "
            "but {field} is in {year}",
            {
                "digit": personal_id[3],
                "start": start,
                "end": start + 99,
                "field": field,
                "year": birth_date.year,
            },
        )
    if int(personal_id[4:6]) != birth_date.year % 100:
        raise PydanticCustomError(
            "personal_id_year",
            "the 5th and 6th digits of the personal ID number ({digits}) must be the last two "
            "digits of the year of {field} ({year})",
            {"digits": personal_id[4:6], "field": field, "year": birth_date.year},
        )


class Sex(StrEnum):
    """Sex (giới tính) as written in the civil-status record."""

    MALE = "male"
    FEMALE = "female"


def check_personal_id_sex(personal_id: str, sex: Sex, *, field: str) -> None:
    """Raise unless the ID's 4th digit agrees with ``sex``: even for men, odd for women."""
    digit = int(personal_id[3])
    if (digit % 2 == 1) != (sex is Sex.FEMALE):
        raise PydanticCustomError(
            "personal_id_sex",
            "the 4th digit of the personal ID number ({digit}) is for a {id_sex} person, "
            "but {field} is {sex}",
            {
                "digit": digit,
                "id_sex": "female" if digit % 2 else "male",
                "field": field,
                "sex": sex.value,
            },
        )


_Name = Annotated[str, StringConstraints(min_length=1, max_length=100)]
_Text = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class Place(LGSPModel):
    """A place as the civil-status system writes it: names or codes, as data."""

    province: _Text = Field(description="tinh (tỉnh/thành phố), or the country when abroad")
    district: _Text | None = Field(default=None, description="huyen (quận/huyện)")
    commune: _Text | None = Field(default=None, description="xa (xã/phường/thị trấn)")
    detail: _Text | None = Field(default=None, description="chiTiet: street, hamlet, hospital…")


class IdDocumentType(StrEnum):
    """Kind of identity paper (loại giấy tờ tùy thân)."""

    CITIZEN_ID_CARD = "citizen_id_card"
    """thẻ căn cước / căn cước công dân"""
    ID_CARD = "id_card"
    """chứng minh nhân dân (the older card)"""
    PASSPORT = "passport"
    """hộ chiếu"""
    OTHER = "other"


class IdDocument(LGSPModel):
    """An identity paper (giấy tờ tùy thân)."""

    type: IdDocumentType = Field(description="*LoaiGiayToTuyThan")
    # Out of repr like personal IDs: for a citizen ID card the two numbers are the same.
    number: Annotated[str, StringConstraints(min_length=1, max_length=30)] = Field(
        repr=False, description="*SoGiayToTuyThan"
    )
    issued_on: dt.date | None = Field(default=None, description="*NgayCapGiayToTuyThan")
    issued_by: _Text | None = Field(default=None, description="*NoiCapGiayToTuyThan")


class Child(LGSPModel):
    """The person whose birth is registered (người được khai sinh, ``nks*``)."""

    full_name: _Name = Field(description="nksHoTen")
    sex: Sex = Field(description="nksGioiTinh")
    birth_date: dt.date = Field(description="nksNgaySinh")
    birth_place: Place = Field(description="nksNoiSinh")
    home_town: _Text | None = Field(default=None, description="nksQueQuan")
    ethnicity: _Name | None = Field(default=None, description="nksDanToc")
    nationality: _Name | None = Field(default=None, description="nksQuocTich")
    personal_id: PersonalId | None = Field(default=None, repr=False, description="nksSoDinhDanh")

    @model_validator(mode="after")
    def _personal_id_agrees(self) -> Self:
        if self.personal_id is not None:
            check_personal_id_birth_date(self.personal_id, self.birth_date, field="birth_date")
            check_personal_id_sex(self.personal_id, self.sex, field="sex")
        return self


class Parent(LGSPModel):
    """The mother or the father (``me*`` / ``cha*``)."""

    full_name: _Name = Field(description="meHoTen / chaHoTen")
    birth_date: dt.date | None = Field(default=None, description="meNgaySinh / chaNgaySinh")
    ethnicity: _Name | None = Field(default=None, description="meDanToc / chaDanToc")
    nationality: _Name | None = Field(default=None, description="meQuocTich / chaQuocTich")
    residence: Place | None = Field(default=None, description="meNoiCuTru / chaNoiCuTru")
    id_document: IdDocument | None = Field(
        default=None, description="meLoaiGiayToTuyThan, meSoGiayToTuyThan / cha…"
    )
    personal_id: PersonalId | None = Field(
        default=None, repr=False, description="meSoDinhDanh / chaSoDinhDanh"
    )

    @model_validator(mode="after")
    def _personal_id_agrees(self) -> Self:
        # Sex is checked by BirthRegistration, which knows whether this is the mother or the father.
        if self.personal_id is not None and self.birth_date is not None:
            check_personal_id_birth_date(self.personal_id, self.birth_date, field="birth_date")
        return self


class Requester(LGSPModel):
    """The person asking for the registration (người yêu cầu, ``nyc*``)."""

    full_name: _Name = Field(description="nycHoTen")
    relationship: _Name | None = Field(
        default=None, description="nycQuanHe: relationship to the child, e.g. 'mẹ', 'ông nội'"
    )
    id_document: IdDocument | None = Field(
        default=None, description="nycLoaiGiayToTuyThan, nycSoGiayToTuyThan"
    )
    personal_id: PersonalId | None = Field(default=None, repr=False, description="nycSoDinhDanh")
    residence: Place | None = Field(default=None, description="nycNoiCuTru")


class BirthNotice(LGSPModel):
    """The hospital's birth notice (giấy chứng sinh)."""

    number: Annotated[str, StringConstraints(min_length=1, max_length=50)] = Field(
        description="maGCS"
    )
    issued_on: dt.date = Field(description="ngayCapGCS")


class RegistrationKind(StrEnum):
    """Which procedure registers the birth (loại đăng ký)."""

    ORDINARY = "ordinary"
    """đăng ký khai sinh"""
    RE_REGISTRATION = "re_registration"
    """đăng ký lại khai sinh: the original record was lost."""
    JOINED_LTKS = "joined_ltks"
    """liên thông khai sinh (LTKS): birth registration, permanent residence and a health
    insurance card for a child under 6, in one request."""


# LTKS covers children under six (the health-insurance card part); older children apply separately.
_LTKS_MAX_AGE_YEARS = 6


class BirthRegistration(LGSPModel):
    """Body of ``civil_status.birth``: a birth registration (đăng ký khai sinh)."""

    child: Child
    mother: Parent | None = None
    father: Parent | None = None
    requester: Requester | None = None
    birth_notice: BirthNotice | None = None
    registration_kind: RegistrationKind = Field(
        default=RegistrationKind.ORDINARY, description="loaiDangKy"
    )
    registration_place: AgencyCode = Field(
        description="noiDangKy: agency code of the registering authority"
    )
    copies: int = Field(default=0, ge=0, le=50, description="soLuongBanSao: extracts requested")
    registered_on: dt.date = Field(description="ngayDangKy")

    # Field validators below read earlier fields from ``info.data`` so that each error is reported
    # at the field it is about; a field that failed its own validation is absent and not re-checked.

    @field_validator("mother", "father")
    @classmethod
    def _parent_agrees(cls, parent: Parent | None, info: ValidationInfo) -> Parent | None:
        if parent is None:
            return parent
        role = "mother" if info.field_name == "mother" else "father"
        if parent.personal_id is not None:
            sex = Sex.FEMALE if role == "mother" else Sex.MALE
            check_personal_id_sex(parent.personal_id, sex, field=role)
        child: Child | None = info.data.get("child")
        born = parent.birth_date
        if child is not None and born is not None and born >= child.birth_date:
            raise PydanticCustomError(
                "parent_born_after_child",
                "{role}.birth_date ({parent}) must be before child.birth_date ({child})",
                {"role": role, "parent": born.isoformat(), "child": child.birth_date.isoformat()},
            )
        return parent

    @field_validator("registration_kind")
    @classmethod
    def _ltks_knows_the_home(cls, kind: RegistrationKind, info: ValidationInfo) -> RegistrationKind:
        # LTKS registers the child's permanent residence too: the residence registry needs the
        # home, which a parent's or the requester's residence gives.
        if kind is not RegistrationKind.JOINED_LTKS:
            return kind
        people = [info.data.get(role) for role in ("mother", "father", "requester")]
        if not any(person is not None and person.residence is not None for person in people):
            raise PydanticCustomError(
                "ltks_residence_required",
                "registration_kind joined_ltks registers the child's permanent residence: give "
                "mother.residence, father.residence or requester.residence",
            )
        return kind

    @field_validator("birth_notice")
    @classmethod
    def _notice_after_birth(
        cls, notice: BirthNotice | None, info: ValidationInfo
    ) -> BirthNotice | None:
        child: Child | None = info.data.get("child")
        if notice is not None and child is not None and notice.issued_on < child.birth_date:
            raise PydanticCustomError(
                "birth_notice_before_birth",
                "birth_notice.issued_on ({issued}) is before child.birth_date ({born})",
                {"issued": notice.issued_on.isoformat(), "born": child.birth_date.isoformat()},
            )
        return notice

    @field_validator("registered_on")
    @classmethod
    def _registered_after_birth(cls, registered_on: dt.date, info: ValidationInfo) -> dt.date:
        child: Child | None = info.data.get("child")
        if child is None:
            return registered_on
        if child.birth_date > registered_on:
            raise PydanticCustomError(
                "birth_after_registration",
                "child.birth_date ({born}) is after registered_on ({registered})",
                {"born": child.birth_date.isoformat(), "registered": registered_on.isoformat()},
            )
        if info.data.get("registration_kind") is RegistrationKind.JOINED_LTKS:
            born = child.birth_date
            # 29 February birthdays turn six on 1 March of non-leap years.
            try:
                sixth = born.replace(year=born.year + _LTKS_MAX_AGE_YEARS)
            except ValueError:
                sixth = dt.date(born.year + _LTKS_MAX_AGE_YEARS, 3, 1)
            if registered_on >= sixth:
                raise PydanticCustomError(
                    "ltks_child_too_old",
                    "registration_kind joined_ltks is for children under 6; the child turned 6 on "
                    "{sixth}, on or before registered_on ({registered})",
                    {"sixth": sixth.isoformat(), "registered": registered_on.isoformat()},
                )
        return registered_on

    @model_validator(mode="after")
    def _someone_declares(self) -> Self:
        if self.mother is None and self.father is None and self.requester is None:
            raise PydanticCustomError(
                "parent_or_requester_required",
                "a birth registration names the mother, the father or the requester; "
                "mother, father and requester are all missing",
            )
        return self
