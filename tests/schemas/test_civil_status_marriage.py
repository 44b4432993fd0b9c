"""The civil-status axis body ``MarriageRegistration`` (kết hôn)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from lgsp.schemas import MaritalStatus, MarriageRegistration
from lgsp.schemas.civil_status_marriage import full_years
from tests.schemas.civil_national_samples import HUSBAND_ID, MARRIAGE, WIFE_ID


def changed(**changes: Any) -> dict[str, Any]:
    """``MARRIAGE`` with ``changes``; a key ``part__field`` changes one field of a part."""
    body = {k: dict(v) if isinstance(v, dict) else v for k, v in MARRIAGE.items()}
    for key, value in changes.items():
        part, _, field = key.partition("__")
        if not field:
            body[part] = value
        elif value is None:
            body[part].pop(field)
        else:
            body[part][field] = value
    return body


def refused(body: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    with pytest.raises(ValidationError) as exc_info:
        MarriageRegistration.model_validate(body)
    [error] = exc_info.value.errors()
    return error["type"], error["loc"]


def test_a_full_registration_validates() -> None:
    marriage = MarriageRegistration.model_validate(MARRIAGE)
    assert marriage.husband.marital_status is MaritalStatus.DIVORCED
    assert marriage.wife.marriage_count == 1
    assert marriage.husband.personal_id == HUSBAND_ID


def test_a_minimal_registration_validates() -> None:
    marriage = MarriageRegistration.model_validate(
        {
            "registration_place": "000.00.00.H41",
            "registered_on": "2026-01-02",
            "husband": {
                "full_name": "A",
                "birth_date": "2000-01-01",
                "marital_status": "widowed",
            },
            "wife": {"full_name": "B", "birth_date": "2000-01-01", "marital_status": "annulled"},
        }
    )
    assert marriage.husband.marriage_count == 1
    assert marriage.wife.personal_id is None


def test_json_round_trip() -> None:
    marriage = MarriageRegistration.model_validate(MARRIAGE)
    assert MarriageRegistration.model_validate_json(marriage.model_dump_json()) == marriage
    assert marriage.model_dump(mode="json", exclude_none=True) == MARRIAGE


def test_descriptions_keep_the_ministry_names() -> None:
    schema = MarriageRegistration.model_json_schema()
    husband = schema["$defs"]["Husband"]["properties"]
    assert husband["full_name"]["description"] == "chongHoTen / voHoTen"
    assert husband["marital_status"]["description"].startswith("chongTinhTrangHonNhan")
    assert schema["properties"]["registered_on"]["description"] == "ngayDangKy"


def test_personal_ids_are_kept_out_of_repr() -> None:
    text = repr(MarriageRegistration.model_validate(MARRIAGE))
    assert HUSBAND_ID not in text
    assert WIFE_ID not in text


@pytest.mark.parametrize(
    ("born", "on", "years"),
    [
        ("2006-05-20", "2026-05-20", 20),
        ("2006-05-21", "2026-05-20", 19),
        ("2004-02-29", "2024-02-28", 19),
        ("2004-02-29", "2024-02-29", 20),
        ("2004-02-29", "2025-02-28", 20),
        ("2004-02-29", "2026-02-28", 21),
        ("2008-02-29", "2026-02-28", 17),
        ("2008-02-29", "2026-03-01", 18),
        ("2026-01-01", "2026-01-01", 0),
    ],
)
def test_full_years(born: str, on: str, years: int) -> None:
    assert full_years(dt.date.fromisoformat(born), dt.date.fromisoformat(on)) == years


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"husband__birth_date": "2006-05-21", "husband__personal_id": None},
            ("husband_under_age", ("husband",)),
        ),
        (
            {"wife__birth_date": "2008-05-21", "wife__personal_id": None},
            ("wife_under_age", ("wife",)),
        ),
        # Born on 29 February 2008: 18 on 1 March 2026, not on 28 February.
        (
            {
                "wife__birth_date": "2008-02-29",
                "wife__personal_id": None,
                "registered_on": "2026-02-28",
            },
            ("wife_under_age", ("wife",)),
        ),
        (
            {"husband__marital_status": "married"},
            ("husband_already_married", ("husband", "marital_status")),
        ),
        (
            {"wife__marital_status": "married"},
            ("wife_already_married", ("wife", "marital_status")),
        ),
        # A woman's number for the husband, a man's for the wife.
        (
            {"husband__personal_id": "080198004321"},
            ("personal_id_sex", ("husband", "personal_id")),
        ),
        ({"wife__personal_id": "093201001234"}, ("personal_id_sex", ("wife", "personal_id"))),
        (
            {"husband__personal_id": "080097004321"},
            ("personal_id_year", ("husband", "personal_id")),
        ),
        ({"wife__marital_status": "engaged"}, ("enum", ("wife", "marital_status"))),
        ({"husband__marriage_count": 0}, ("greater_than_equal", ("husband", "marriage_count"))),
        ({"wife__voHoTen": "x"}, ("extra_forbidden", ("wife", "voHoTen"))),
        ({"husband__birth_date": None}, ("missing", ("husband", "birth_date"))),
    ],
)
def test_each_rule_is_reported_at_its_field(
    changes: dict[str, Any], expected: tuple[str, tuple[Any, ...]]
) -> None:
    assert refused(changed(**changes)) == expected


@pytest.mark.parametrize(
    ("role", "born", "on"),
    [
        ("husband", "2006-05-20", "2026-05-20"),
        ("wife", "2008-05-20", "2026-05-20"),
        ("wife", "2008-02-29", "2026-03-01"),
        ("husband", "2004-02-29", "2024-02-29"),
    ],
)
def test_the_day_of_the_birthday_is_old_enough(role: str, born: str, on: str) -> None:
    body = changed(registered_on=on, **{f"{role}__birth_date": born, f"{role}__personal_id": None})
    marriage = MarriageRegistration.model_validate(body)
    assert marriage.registered_on == dt.date.fromisoformat(on)
