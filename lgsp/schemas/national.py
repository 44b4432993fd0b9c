"""Bodies of the national axis (NGSP/NDXP): ``national.citizen_lookup``.

A lookup asks the national population database about one person by personal ID number; the name and
birth date, when given, narrow it and are checked against what the number itself says.

Not for: the answer's shape, the national platform's wire format or token handling (the national
adapter's job), dossier sync or catalogue lookups (to come), or any I/O.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field, StringConstraints, ValidationInfo, field_validator

from lgsp.schemas._base import LGSPModel
from lgsp.schemas.civil_status import PersonalId, check_personal_id_birth_date

__all__ = ["CitizenLookup"]


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
