"""Building blocks shared by every schema module: the strict base model and ``AgencyCode``.

Not for: anything that knows about a particular axis, or any I/O.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict
from pydantic_core import PydanticCustomError

__all__ = ["AgencyCode", "LGSPModel", "parse_agency_code"]


class LGSPModel(BaseModel):
    """Base of every message model: unknown fields are refused and values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


# QCVN 102:2016/BTTTT: V1V2V3.Z1Z2.Y1Y2.M1M2M3, M being a letter and two characters.
_QCVN_102 = re.compile(r"[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[A-Z][0-9A-Z]{2}")
# QĐ 20/2020/QĐ-TTg widens the code to at most 35 characters of 0-9, A-Z and '.'. A code is still
# read right to left down to a level-1 body, so at least four dot-separated groups ending in one.
_QD_20 = re.compile(r"[0-9A-Z]+(?:\.[0-9A-Z]+){2,}\.[A-Z][0-9A-Z]{2}")
_MAX_LENGTH = 35


def parse_agency_code(value: str) -> str:
    """Return ``value`` when it is an agency code (mã định danh điện tử), else raise.

    The error says which forms were expected, so a vendor can see at once what is wrong.
    """
    if len(value) <= _MAX_LENGTH and (_QCVN_102.fullmatch(value) or _QD_20.fullmatch(value)):
        return value
    raise PydanticCustomError(
        "agency_code",
        "expected an agency code in the QCVN 102:2016 form V1V2V3.Z1Z2.Y1Y2.M1M2M3 "
        "(e.g. 000.00.00.H41) or the QĐ 20/2020 form (at most 35 characters of 0-9, A-Z "
        "and '.', at least four groups ending in a level-1 body such as H41); got '{value}'",
        {"value": value},
    )


AgencyCode = Annotated[str, AfterValidator(parse_agency_code)]
"""An agency's electronic identifier (mã định danh điện tử), e.g. ``000.00.00.H41``."""
