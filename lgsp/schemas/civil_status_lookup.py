"""Body of ``civil_status.lookup``: find a civil-status record (tra cứu hộ tịch), request-reply.

A record is found by where it was written (``soDangKy`` in the book ``quyenSo``) or by the personal
ID number of the person it is about; at least one of the two must be given. The kind of record is
required: a registration number means nothing outside its register, and it keeps this body apart
from ``CitizenLookup`` when a lookup names only a personal ID number.

Not for: the answer's shape, the Ministry's wire format, or any I/O.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Self

from pydantic import Field, StringConstraints, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from lgsp.schemas._base import AgencyCode, LGSPModel
from lgsp.schemas.civil_status import PersonalId

__all__ = ["CivilStatusLookup", "RecordKind"]

_Number = Annotated[str, StringConstraints(min_length=1, max_length=50)]


class RecordKind(StrEnum):
    """Which register a record is in (module)."""

    BIRTH = "birth"
    """khai sinh"""
    DEATH = "death"
    """khai tử"""
    MARRIAGE = "marriage"
    """kết hôn"""


class CivilStatusLookup(LGSPModel):
    """Body of ``civil_status.lookup``: a civil-status record lookup (tra cứu hộ tịch)."""

    record_kind: RecordKind = Field(description="module: khai sinh, khai tử or kết hôn")
    registration_number: _Number | None = Field(default=None, description="soDangKy")
    book_number: _Number | None = Field(default=None, description="quyenSo")
    registration_place: AgencyCode | None = Field(
        default=None, description="noiDangKy: agency code of the registering authority"
    )
    # Hidden from repr: a lookup is personal data and models end up in logs.
    personal_id: PersonalId | None = Field(default=None, repr=False, description="soDinhDanh")

    @field_validator("book_number")
    @classmethod
    def _book_with_number(cls, book_number: str | None, info: ValidationInfo) -> str | None:
        if book_number is not None and info.data.get("registration_number") is None:
            raise PydanticCustomError(
                "book_number_without_registration_number",
                "book_number (quyenSo) narrows a registration_number (soDangKy); "
                "registration_number is missing",
            )
        return book_number

    @model_validator(mode="after")
    def _some_key(self) -> Self:
        if self.registration_number is None and self.personal_id is None:
            raise PydanticCustomError(
                "lookup_key_missing",
                "a civil-status lookup gives registration_number (soDangKy) or personal_id "
                "(soDinhDanh); both are missing",
            )
        return self
