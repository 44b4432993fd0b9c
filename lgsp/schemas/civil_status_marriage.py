"""Body of ``civil_status.marriage``: a marriage registration (đăng ký kết hôn).

Field names are English; each description keeps the Ministry of Justice's source name
(``chongHoTen`` / ``voHoTen``...). The rules are the Law on Marriage and Family's (Luật Hôn nhân và
gia đình 2014, art. 8 and 5): the man has turned 20 and the woman 18 on the registration date ("từ
đủ 20 tuổi", "từ đủ 18 tuổi": full years), neither is married to someone else, and each personal ID
number agrees with the person's sex and birth date.

Not for: the Ministry's wire format or codes (the civil-status adapter's job), marriages with a
foreign element and their extra papers, registration results, or any I/O.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import Field, StringConstraints, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from lgsp.schemas._base import AgencyCode, LGSPModel
from lgsp.schemas.civil_status import (
    IdDocument,
    PersonalId,
    Place,
    Sex,
    check_personal_id_birth_date,
    check_personal_id_sex,
)

__all__ = [
    "Husband",
    "MaritalStatus",
    "MarriageRegistration",
    "Spouse",
    "Wife",
    "full_years",
]

_Name = Annotated[str, StringConstraints(min_length=1, max_length=100)]


def full_years(born: dt.date, on: dt.date) -> int:
    """Age in full years on ``on`` (tuổi tròn): a birthday counts from the day itself.

    Someone born on 29 February has their birthday on 1 March in non-leap years, as (2, 28) is
    still before (2, 29).
    """
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


class MaritalStatus(StrEnum):
    """Marital status before this marriage (tình trạng hôn nhân)."""

    SINGLE = "single"
    """chưa kết hôn"""
    MARRIED = "married"
    """đang có vợ/chồng: cannot marry again (refused)"""
    DIVORCED = "divorced"
    """đã ly hôn"""
    WIDOWED = "widowed"
    """vợ/chồng đã chết"""
    ANNULLED = "annulled"
    """a previous marriage was annulled by a court (hủy việc kết hôn trái pháp luật)"""


class Spouse(LGSPModel):
    """One of the two people marrying; ``Husband`` and ``Wife`` say which."""

    role: ClassVar[str]
    sex: ClassVar[Sex]
    minimum_age: ClassVar[int]

    full_name: _Name = Field(description="chongHoTen / voHoTen")
    birth_date: dt.date = Field(description="chongNgaySinh / voNgaySinh")
    ethnicity: _Name | None = Field(default=None, description="chongDanToc / voDanToc")
    nationality: _Name | None = Field(default=None, description="chongQuocTich / voQuocTich")
    residence: Place | None = Field(default=None, description="chongNoiCuTru / voNoiCuTru")
    id_document: IdDocument | None = Field(
        default=None, description="chongLoaiGiayToTuyThan, chongSoGiayToTuyThan / vo…"
    )
    personal_id: PersonalId | None = Field(
        default=None, repr=False, description="chongSoDinhDanh / voSoDinhDanh"
    )
    marital_status: MaritalStatus = Field(
        description="chongTinhTrangHonNhan / voTinhTrangHonNhan: before this marriage"
    )
    marriage_count: int = Field(
        default=1,
        ge=1,
        le=20,
        description="chongKetHonLanThu / voKetHonLanThu: which marriage this is (1 = first)",
    )

    @field_validator("personal_id")
    @classmethod
    def _personal_id_agrees(cls, personal_id: str | None, info: ValidationInfo) -> str | None:
        if personal_id is None:
            return personal_id
        check_personal_id_sex(personal_id, cls.sex, field=cls.role)
        born: dt.date | None = info.data.get("birth_date")
        if born is not None:
            check_personal_id_birth_date(personal_id, born, field="birth_date")
        return personal_id

    @field_validator("marital_status")
    @classmethod
    def _not_married(cls, status: MaritalStatus) -> MaritalStatus:
        if status is MaritalStatus.MARRIED:
            raise PydanticCustomError(
                f"{cls.role}_already_married",
                "the {role} is married to someone else; a marriage needs both free to marry "
                "(single, divorced, widowed or annulled)",
                {"role": cls.role},
            )
        return status


class Husband(Spouse):
    """The husband (``chong*``): a man who has turned 20."""

    role: ClassVar[str] = "husband"
    sex: ClassVar[Sex] = Sex.MALE
    minimum_age: ClassVar[int] = 20


class Wife(Spouse):
    """The wife (``vo*``): a woman who has turned 18."""

    role: ClassVar[str] = "wife"
    sex: ClassVar[Sex] = Sex.FEMALE
    minimum_age: ClassVar[int] = 18


class MarriageRegistration(LGSPModel):
    """Body of ``civil_status.marriage``: a marriage registration (đăng ký kết hôn)."""

    registration_place: AgencyCode = Field(
        description="noiDangKy: agency code of the registering authority"
    )
    # Before the spouses, so that their ages are checked against it and reported at each person.
    registered_on: dt.date = Field(description="ngayDangKy")
    husband: Husband = Field(description="chong*")
    wife: Wife = Field(description="vo*")
    copies: int = Field(default=0, ge=0, le=50, description="soLuongBanSao: extracts requested")

    @field_validator("husband", "wife")
    @classmethod
    def _old_enough(cls, spouse: Spouse, info: ValidationInfo) -> Spouse:
        registered_on: dt.date | None = info.data.get("registered_on")
        if registered_on is None:
            return spouse
        age = full_years(spouse.birth_date, registered_on)
        if age < spouse.minimum_age:
            raise PydanticCustomError(
                f"{spouse.role}_under_age",
                "the {role} must have turned {minimum} by registered_on ({registered}); "
                "born {born}, they are {age}",
                {
                    "role": spouse.role,
                    "minimum": spouse.minimum_age,
                    "registered": registered_on.isoformat(),
                    "born": spouse.birth_date.isoformat(),
                    "age": age,
                },
            )
        return spouse
