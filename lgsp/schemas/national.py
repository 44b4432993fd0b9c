"""Bodies of the national axis (NGSP/NDXP): ``national.citizen_lookup`` and
``national.catalog_lookup``.

A citizen lookup asks the national population database about one person by personal ID number; the
name and birth date, when given, narrow it and are checked against what the number itself says. A
catalogue lookup asks a shared catalogue (danh mục dùng chung, ``/dmdc/1.0/...``) for one item by
code or for the items matching a query; its catalogue and code become URL path pieces, so they are
held to a safe alphabet here.

Not for: the answer's shape, the national platform's wire format or token handling (the national
adapter's job), dossier sync (``lgsp.schemas.dossier``), or any I/O.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Self

from pydantic import Field, StringConstraints, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from lgsp.schemas._base import LGSPModel
from lgsp.schemas.civil_status import PersonalId, check_personal_id_birth_date

__all__ = ["CatalogLookup", "CitizenLookup"]


class CitizenLookup(LGSPModel):
    """Body of ``national.citizen_lookup``: a population database lookup (tra cứu công dân)."""

    # Hidden from repr: a lookup is personal data and models end up in logs.
    personal_id: PersonalId = Field(repr=False, description="soDinhDanh")
    full_name: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = Field(
        default=None, repr=False, description="hoTen"
    )
    birth_date: dt.date | None = Field(default=None, repr=False, description="ngaySinh")

    @field_validator("birth_date")
    @classmethod
    def _agrees_with_personal_id(
        cls, birth_date: dt.date | None, info: ValidationInfo
    ) -> dt.date | None:
        # Refused here rather than asked of the national platform: a query that cannot match
        # would cost a national call and return a misleading "not found".
        personal_id: str | None = info.data.get("personal_id")
        if birth_date is not None and personal_id is not None:
            check_personal_id_birth_date(personal_id, birth_date, field="birth_date")
        return birth_date


# Both become URL path pieces at the national platform: no '/', no leading '.', bounded.
_PathPiece = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,39}$")]
_Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$")]


class CatalogLookup(LGSPModel):
    """Body of ``national.catalog_lookup``: a shared catalogue lookup (tra cứu danh mục dùng chung).

    Exactly one of ``item_code`` (one item) and ``query`` (a search) is given.
    """

    catalog: _PathPiece = Field(
        description="the shared catalogue's API path piece on the national platform, e.g. dmdc"
    )
    list_code: _Code | None = Field(
        default=None, description="the catalogue's list (loại danh mục), e.g. DanToc, QuocTich"
    )
    item_code: _Code | None = Field(
        default=None, description="ma: the item's code in the catalogue"
    )
    query: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = Field(
        default=None, description="tuKhoa: text the items' names are searched for"
    )

    @model_validator(mode="after")
    def _item_code_or_query(self) -> Self:
        if (self.item_code is None) == (self.query is None):
            raise PydanticCustomError(
                "item_code_or_query",
                "a catalogue lookup gives exactly one of item_code and query; {given}",
                {"given": "both are given" if self.query is not None else "both are missing"},
            )
        return self
