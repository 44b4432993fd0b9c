"""The national axis body ``CitizenLookup``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from lgsp.schemas.national import CitizenLookup

PERSONAL_ID = "064095000123"  # Gia Lai, 0 = man born 1900–1999, '95

LOOKUP: dict[str, Any] = {
    "personal_id": PERSONAL_ID,
    "full_name": "Rơ Mah Hiền",
    "birth_date": "1995-07-20",
}


def refused(body: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    with pytest.raises(ValidationError) as exc_info:
        CitizenLookup.model_validate(body)
    [error] = exc_info.value.errors()
    return error["type"], error["loc"]


def test_a_lookup_by_personal_id_alone_validates() -> None:
    lookup = CitizenLookup.model_validate({"personal_id": PERSONAL_ID})
    assert lookup.full_name is None
    assert lookup.birth_date is None


def test_a_lookup_with_name_and_birth_date_validates() -> None:
    lookup = CitizenLookup.model_validate(LOOKUP)
    assert lookup.birth_date == dt.date(1995, 7, 20)


def test_json_round_trip() -> None:
    lookup = CitizenLookup.model_validate(LOOKUP)
    assert CitizenLookup.model_validate_json(lookup.model_dump_json()) == lookup
    assert lookup.model_dump(mode="json") == LOOKUP


def test_personal_id_is_required() -> None:
    assert refused({"full_name": "Rơ Mah Hiền"}) == ("missing", ("personal_id",))


def test_unknown_fields_are_refused() -> None:
    assert refused({**LOOKUP, "soDinhDanh": PERSONAL_ID}) == ("extra_forbidden", ("soDinhDanh",))


@pytest.mark.parametrize(
    ("personal_id", "error"),
    [
        ("06409500012", "personal_id_length"),
        ("0640950001234", "personal_id_length"),
        ("06409500012x", "personal_id_digits"),
        ("065095000123", "personal_id_province"),
    ],
)
def test_a_number_that_cannot_be_a_personal_id_is_refused(personal_id: str, error: str) -> None:
    assert refused({"personal_id": personal_id}) == (error, ("personal_id",))


def test_surrounding_whitespace_is_ignored() -> None:
    assert CitizenLookup.model_validate({"personal_id": f" {PERSONAL_ID}\n"}).personal_id == (
        PERSONAL_ID
    )


def test_birth_date_in_another_century_is_refused() -> None:
    assert refused({**LOOKUP, "birth_date": "2095-07-20"}) == (
        "personal_id_century",
        ("birth_date",),
    )


def test_birth_date_in_another_year_is_refused() -> None:
    assert refused({**LOOKUP, "birth_date": "1996-07-20"}) == ("personal_id_year", ("birth_date",))


def test_an_invalid_personal_id_is_reported_once() -> None:
    # The birth date is not compared with a number that was refused already.
    assert refused({**LOOKUP, "personal_id": "065095000123", "birth_date": "2001-01-01"}) == (
        "personal_id_province",
        ("personal_id",),
    )


def test_nothing_personal_in_repr() -> None:
    text = repr(CitizenLookup.model_validate(LOOKUP))
    assert PERSONAL_ID not in text
    assert "Hiền" not in text
    assert "1995" not in text
