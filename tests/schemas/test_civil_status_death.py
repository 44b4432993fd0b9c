"""The civil-status axis body ``DeathRegistration`` (khai tử)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from lgsp.schemas import DeathRegistration
from lgsp.schemas.civil_status import Sex
from lgsp.schemas.civil_status_death import DeathRegistrationKind
from tests.schemas.civil_national_samples import DEATH, DEATH_LTKT, DECEASED_ID, REQUESTER_ID


def changed(base: dict[str, Any] = DEATH, **changes: Any) -> dict[str, Any]:
    """``base`` with ``changes``; a key ``part__field`` changes one field of a part."""
    body = {key: dict(value) if isinstance(value, dict) else value for key, value in base.items()}
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
        DeathRegistration.model_validate(body)
    [error] = exc_info.value.errors()
    return error["type"], error["loc"]


def test_a_full_registration_validates() -> None:
    death = DeathRegistration.model_validate(DEATH)
    assert death.deceased.sex is Sex.MALE
    assert death.deceased.death_time == dt.time(4, 30)
    assert death.death_notice is not None
    assert death.death_notice.issued_by == "Bệnh viện Đa khoa tỉnh Gia Lai"


def test_a_minimal_registration_validates() -> None:
    death = DeathRegistration.model_validate(
        {
            "deceased": {
                "full_name": "Lê Văn Hải",
                "sex": "male",
                "death_date": "2026-01-05",
                "death_place": {"province": "Nghệ An"},
            },
            "requester": {"full_name": "Lê Thị Hoa"},
            "registration_place": "000.00.00.H41",
            "registered_on": "2026-01-05",
        }
    )
    assert death.death_notice is None
    assert death.deceased.birth_date is None
    assert death.copies == 0


def test_json_round_trip() -> None:
    death = DeathRegistration.model_validate(DEATH)
    assert DeathRegistration.model_validate_json(death.model_dump_json()) == death
    assert death.model_dump(mode="json", exclude_none=True) == DEATH


def test_descriptions_keep_the_ministry_names() -> None:
    schema = DeathRegistration.model_json_schema()
    deceased = schema["$defs"]["Deceased"]["properties"]
    assert deceased["full_name"]["description"] == "nktHoTen"
    assert deceased["death_date"]["description"].startswith("nktNgayChet")
    assert deceased["death_place"]["description"] == "nktNoiChet"
    assert deceased["cause"]["description"] == "nktNguyenNhanChet"
    notice = schema["$defs"]["DeathNotice"]["properties"]
    assert [notice[f]["description"] for f in ("number", "issued_on", "issued_by")] == [
        "gbtSo",
        "gbtNgayCap",
        "gbtNoiCap",
    ]


def test_personal_ids_are_kept_out_of_repr() -> None:
    text = repr(DeathRegistration.model_validate(DEATH))
    assert DECEASED_ID not in text
    assert REQUESTER_ID not in text
    assert "Rơ Châm Blơng" in text


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"deceased__death_date": "1952-02-13"},
            ("death_before_birth", ("deceased", "death_date")),
        ),
        ({"registered_on": "2026-10-02"}, ("death_after_registration", ("registered_on",))),
        (
            {"death_notice": {"number": "1", "issued_on": "2026-10-02"}},
            ("death_notice_before_death", ("death_notice",)),
        ),
        (
            {"death_notice": {"number": "1", "issued_on": "2026-10-11"}},
            ("death_notice_after_registration", ("death_notice",)),
        ),
        ({"deceased__sex": "female"}, ("personal_id_sex", ("deceased", "personal_id"))),
        (
            {"deceased__birth_date": "1852-02-14"},
            ("personal_id_century", ("deceased", "personal_id")),
        ),
        (
            {"deceased__birth_date": "1953-02-14"},
            ("personal_id_year", ("deceased", "personal_id")),
        ),
        (
            {"deceased__personal_id": "003052001234"},
            ("personal_id_province", ("deceased", "personal_id")),
        ),
        ({"registration_place": "28.22.H17"}, ("agency_code", ("registration_place",))),
        ({"deceased__nktHoTen": "x"}, ("extra_forbidden", ("deceased", "nktHoTen"))),
        ({"deceased__death_place": None}, ("missing", ("deceased", "death_place"))),
    ],
)
def test_each_rule_is_reported_at_its_field(
    changes: dict[str, Any], expected: tuple[str, tuple[Any, ...]]
) -> None:
    assert refused(changed(**changes)) == expected


def test_death_and_registration_on_the_same_day_are_accepted() -> None:
    body = changed(
        deceased__death_date="2026-10-10",
        death_notice={"number": "1", "issued_on": "2026-10-10"},
    )
    assert DeathRegistration.model_validate(body).registered_on == dt.date(2026, 10, 10)


def test_error_messages_do_not_repeat_the_personal_id() -> None:
    with pytest.raises(ValidationError) as exc_info:
        DeathRegistration.model_validate(changed(deceased__sex="female"))
    assert DECEASED_ID not in exc_info.value.errors()[0]["msg"]


# -- liên thông khai tử (LTKT) -----------------------------------------------------------------


def test_ordinary_is_the_default_kind() -> None:
    body = {key: value for key, value in DEATH.items() if key != "registration_kind"}
    death = DeathRegistration.model_validate(body)
    assert death.registration_kind is DeathRegistrationKind.ORDINARY


def test_a_joined_ltkt_registration_validates() -> None:
    death = DeathRegistration.model_validate(DEATH_LTKT)
    assert death.registration_kind is DeathRegistrationKind.JOINED_LTKT
    assert death.model_dump(mode="json", exclude_none=True) == DEATH_LTKT


def test_the_kind_keeps_the_ministry_name() -> None:
    schema = DeathRegistration.model_json_schema()
    assert schema["properties"]["registration_kind"]["description"] == "loaiDangKy"
    assert schema["$defs"]["DeathRegistrationKind"]["enum"] == ["ordinary", "joined_ltkt"]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"deceased__personal_id": None},
            ("ltkt_deceased_personal_id_required", ("deceased",)),
        ),
        ({"deceased__residence": None}, ("ltkt_deceased_residence_required", ("deceased",))),
        (
            {"requester__personal_id": None, "requester__id_document": None},
            ("ltkt_requester_identity_required", ("requester",)),
        ),
        ({"registration_kind": "joined_ltks"}, ("enum", ("registration_kind",))),
    ],
)
def test_ltkt_needs_what_the_residence_registry_and_social_security_need(
    changes: dict[str, Any], expected: tuple[str, tuple[Any, ...]]
) -> None:
    assert refused(changed(DEATH_LTKT, **changes)) == expected


@pytest.mark.parametrize(
    "changes",
    [
        {"deceased__personal_id": None, "deceased__residence": None},
        {"requester__personal_id": None, "requester__id_document": None},
    ],
)
def test_an_ordinary_registration_needs_none_of_it(changes: dict[str, Any]) -> None:
    assert DeathRegistration.model_validate(changed(**changes))


@pytest.mark.parametrize(
    "changes",
    [{"requester__personal_id": None}, {"requester__id_document": None}],
)
def test_either_identity_of_the_requester_will_do(changes: dict[str, Any]) -> None:
    assert DeathRegistration.model_validate(changed(DEATH_LTKT, **changes))


def test_ltkt_errors_name_fields_and_never_the_people() -> None:
    with pytest.raises(ValidationError) as exc_info:
        DeathRegistration.model_validate(changed(DEATH_LTKT, deceased__residence=None))
    [error] = exc_info.value.errors()
    assert "deceased.residence" in error["msg"]
    assert DECEASED_ID not in error["msg"]
    assert DEATH["deceased"]["full_name"] not in error["msg"]
