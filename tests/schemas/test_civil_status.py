"""The civil-status axis body ``BirthRegistration`` and the ``PersonalId`` type."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from lgsp.schemas.civil_status import (
    PROVINCE_CODES,
    BirthRegistration,
    PersonalId,
    RegistrationKind,
    Sex,
)

MOTHER_ID = "001190012345"  # Hà Nội, 1 = woman born 1900–1999, '90
FATHER_ID = "054088001234"  # Phú Yên, 0 = man born 1900–1999, '88
CHILD_ID = "080324123456"  # Long An, 3 = woman born 2000–2099, '24

BIRTH: dict[str, Any] = {
    "child": {
        "full_name": "Nguyễn Thị An",
        "sex": "female",
        "birth_date": "2024-03-10",
        "birth_place": {
            "province": "Long An",
            "district": "Thành phố Tân An",
            "commune": "Phường 2",
            "detail": "Bệnh viện Đa khoa tỉnh Long An",
        },
        "home_town": "Phú Yên",
        "ethnicity": "Kinh",
        "nationality": "Việt Nam",
        "personal_id": CHILD_ID,
    },
    "mother": {
        "full_name": "Trần Thị Bình",
        "birth_date": "1990-05-12",
        "ethnicity": "Kinh",
        "nationality": "Việt Nam",
        "residence": {"province": "Long An", "district": "Thành phố Tân An", "commune": "Phường 2"},
        "id_document": {"type": "citizen_id_card", "number": MOTHER_ID, "issued_on": "2021-04-01"},
        "personal_id": MOTHER_ID,
    },
    "father": {
        "full_name": "Nguyễn Văn Cường",
        "birth_date": "1988-11-02",
        "ethnicity": "Kinh",
        "nationality": "Việt Nam",
        "personal_id": FATHER_ID,
    },
    "requester": {
        "full_name": "Nguyễn Văn Cường",
        "relationship": "cha",
        "id_document": {"type": "citizen_id_card", "number": FATHER_ID},
        "personal_id": FATHER_ID,
    },
    "birth_notice": {"number": "GCS-2024-000123", "issued_on": "2024-03-11"},
    "registration_kind": "ordinary",
    "registration_place": "000.01.12.H40",
    "copies": 2,
    "registered_on": "2024-03-25",
}

PERSONAL_ID: TypeAdapter[str] = TypeAdapter(PersonalId)


def changed(**changes: Any) -> dict[str, Any]:
    """``BIRTH`` with ``changes``; a key ``part__field`` changes one field of a part."""
    body = {key: dict(value) if isinstance(value, dict) else value for key, value in BIRTH.items()}
    for key, value in changes.items():
        part, _, field = key.partition("__")
        if field:
            body[part][field] = value
        elif value is None:
            body.pop(part)
        else:
            body[part] = value
    return body


def only_error(exc_info: pytest.ExceptionInfo[ValidationError]) -> tuple[str, tuple[Any, ...]]:
    [error] = exc_info.value.errors()
    return error["type"], error["loc"]


def refused(body: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    with pytest.raises(ValidationError) as exc_info:
        BirthRegistration.model_validate(body)
    return only_error(exc_info)


def test_a_full_registration_validates() -> None:
    birth = BirthRegistration.model_validate(BIRTH)
    assert birth.child.sex is Sex.FEMALE
    assert birth.child.birth_place.commune == "Phường 2"
    assert birth.registration_kind is RegistrationKind.ORDINARY
    assert birth.mother is not None
    assert birth.mother.personal_id == MOTHER_ID


def test_a_minimal_registration_validates() -> None:
    birth = BirthRegistration.model_validate(
        {
            "child": {
                "full_name": "Lê Văn Dũng",
                "sex": "male",
                "birth_date": "2025-01-05",
                "birth_place": {"province": "Gia Lai"},
            },
            "requester": {"full_name": "Lê Thị Em"},
            "registration_place": "000.00.00.H21",
            "registered_on": "2025-01-06",
        }
    )
    assert birth.copies == 0
    assert birth.registration_kind is RegistrationKind.ORDINARY
    assert birth.mother is None
    assert birth.father is None
    assert birth.birth_notice is None


def test_json_round_trip() -> None:
    birth = BirthRegistration.model_validate(BIRTH)
    assert BirthRegistration.model_validate_json(birth.model_dump_json()) == birth
    assert birth.model_dump(mode="json", exclude_none=True) == BIRTH


def test_descriptions_keep_the_ministry_names() -> None:
    schema = BirthRegistration.model_json_schema()
    child = schema["$defs"]["Child"]["properties"]
    assert child["full_name"]["description"] == "nksHoTen"
    assert child["birth_place"]["description"] == "nksNoiSinh"
    assert schema["properties"]["registration_kind"]["description"] == "loaiDangKy"
    assert schema["properties"]["copies"]["description"].startswith("soLuongBanSao")
    assert schema["$defs"]["BirthNotice"]["properties"]["number"]["description"] == "maGCS"


@pytest.mark.parametrize(
    ("changes", "loc"),
    [
        ({"nksHoTen": "x"}, ("nksHoTen",)),
        ({"child__nksHoTen": "x"}, ("child", "nksHoTen")),
        ({"mother__meSoDinhDanh": MOTHER_ID}, ("mother", "meSoDinhDanh")),
    ],
)
def test_unknown_fields_are_refused(changes: dict[str, Any], loc: tuple[str, ...]) -> None:
    assert refused(changed(**changes)) == ("extra_forbidden", loc)


# PersonalId by itself


def test_the_province_list_is_the_63_codes_with_domain_examples() -> None:
    assert len(PROVINCE_CODES) == 63
    assert {"001", "054", "064", "080", "093", "096"} <= PROVINCE_CODES
    assert {"003", "097", "000"}.isdisjoint(PROVINCE_CODES)


@pytest.mark.parametrize("province", sorted(PROVINCE_CODES))
def test_every_province_code_opens_a_valid_number(province: str) -> None:
    assert PERSONAL_ID.validate_python(f"{province}090123456") == f"{province}090123456"


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("00119001234", "personal_id_length"),
        ("0011900123456", "personal_id_length"),
        ("", "personal_id_length"),
        ("00119001234a", "personal_id_digits"),
        ("001-90012345", "personal_id_digits"),
        # str.isdigit() holds for full-width digits; they are still refused.
        ("００１１９００１２３４５", "personal_id_digits"),
        ("003190012345", "personal_id_province"),
        ("099190012345", "personal_id_province"),
    ],
)
def test_a_number_that_cannot_be_a_personal_id_is_refused(value: str, error: str) -> None:
    with pytest.raises(ValidationError) as exc_info:
        PERSONAL_ID.validate_python(value)
    assert only_error(exc_info) == (error, ())


def test_a_personal_id_given_as_a_json_number_is_refused() -> None:
    # As a number the leading zeros of the province code would be lost.
    with pytest.raises(ValidationError) as exc_info:
        PERSONAL_ID.validate_json("1190012345")
    assert only_error(exc_info)[0] == "string_type"


def test_error_messages_do_not_repeat_the_number() -> None:
    with pytest.raises(ValidationError) as exc_info:
        PERSONAL_ID.validate_python("003190012345")
    assert "003190012345" not in exc_info.value.errors()[0]["msg"]


def test_personal_ids_are_kept_out_of_repr() -> None:
    text = repr(BirthRegistration.model_validate(BIRTH))
    assert MOTHER_ID not in text
    assert FATHER_ID not in text
    assert CHILD_ID not in text


# PersonalId against the birth date and sex next to it


def test_child_id_century_must_match_the_birth_date() -> None:
    # 1 = woman born in the 1900s, but the child is born in 2024.
    assert refused(changed(child__personal_id="080124123456")) == (
        "personal_id_century",
        ("child",),
    )


def test_child_id_year_must_match_the_birth_date() -> None:
    assert refused(changed(child__personal_id="080323123456")) == ("personal_id_year", ("child",))


def test_child_id_sex_must_match() -> None:
    # 2 = man born in the 2000s, but the child is a girl.
    assert refused(changed(child__personal_id="080224123456")) == ("personal_id_sex", ("child",))


def test_mother_id_must_be_a_womans() -> None:
    assert refused(changed(mother__personal_id="001090012345")) == ("personal_id_sex", ("mother",))


def test_father_id_must_be_a_mans() -> None:
    assert refused(changed(father__personal_id="054188001234")) == ("personal_id_sex", ("father",))


def test_parent_id_century_must_match_the_birth_date() -> None:
    # 3 = woman born in the 2000s; the mother was born in 1990.
    assert refused(changed(mother__personal_id="001390012345")) == (
        "personal_id_century",
        ("mother",),
    )


def test_parent_id_year_must_match_the_birth_date() -> None:
    assert refused(changed(father__personal_id="054087001234")) == ("personal_id_year", ("father",))


def test_parent_id_without_birth_date_is_checked_for_sex_only() -> None:
    BirthRegistration.model_validate(changed(father__birth_date=None))


@pytest.mark.parametrize(
    ("digit", "born"),
    [
        (0, 1900),
        (1, 1999),
        (2, 2000),
        (3, 2099),
        (4, 2100),
        (5, 2150),
        (6, 2200),
        (7, 2250),
        (8, 2300),
        (9, 2399),
    ],
)
def test_century_digits_follow_the_ministry_table(digit: int, born: int) -> None:
    sex = "female" if digit % 2 else "male"
    personal_id = f"001{digit}{born % 100:02d}000001"
    child = {
        **BIRTH["child"],
        "sex": sex,
        "birth_date": f"{born}-01-01",
        "personal_id": personal_id,
    }
    BirthRegistration.model_validate(
        changed(
            child=child, mother=None, father=None, birth_notice=None, registered_on=f"{born}-01-02"
        )
    )


def test_digits_8_and_9_are_not_the_1800s() -> None:
    child = {**BIRTH["child"], "sex": "male", "birth_date": "1899-01-01"}
    child["personal_id"] = "001899000001"
    body = changed(child=child, mother=None, father=None, birth_notice=None)
    assert refused(body) == ("personal_id_century", ("child",))


# Dates in order, and someone to declare the birth


def test_child_born_after_registration_is_refused() -> None:
    assert refused(changed(registered_on="2024-03-09")) == (
        "birth_after_registration",
        ("registered_on",),
    )


def test_registration_on_the_birth_day_is_accepted() -> None:
    BirthRegistration.model_validate(changed(registered_on="2024-03-10", birth_notice=None))


@pytest.mark.parametrize("born", ["2024-03-10", "2025-01-01"])
def test_parent_born_on_or_after_the_child_is_refused(born: str) -> None:
    body = changed(father__birth_date=born, father__personal_id=None)
    assert refused(body) == ("parent_born_after_child", ("father",))


def test_birth_notice_before_birth_is_refused() -> None:
    body = changed(birth_notice={"number": "GCS-1", "issued_on": "2024-03-09"})
    assert refused(body) == ("birth_notice_before_birth", ("birth_notice",))


def test_someone_must_declare_the_birth() -> None:
    assert refused(changed(mother=None, father=None, requester=None)) == (
        "parent_or_requester_required",
        (),
    )


@pytest.mark.parametrize("kept", ["mother", "father", "requester"])
def test_one_parent_or_the_requester_is_enough(kept: str) -> None:
    dropped = {part: None for part in ("mother", "father", "requester") if part != kept}
    BirthRegistration.model_validate(changed(**dropped))


# Registration


def test_joined_procedure_ltks_is_for_children_under_six() -> None:
    BirthRegistration.model_validate(
        changed(registration_kind="joined_ltks", registered_on="2030-03-09")
    )
    body = changed(registration_kind="joined_ltks", registered_on="2030-03-10")
    assert refused(body) == ("ltks_child_too_old", ("registered_on",))


def test_joined_procedure_ltks_needs_the_childs_home() -> None:
    mother = {k: v for k, v in BIRTH["mother"].items() if k != "residence"}
    body = changed(registration_kind="joined_ltks", mother=mother)
    assert refused(body) == ("ltks_residence_required", ("registration_kind",))
    father = {**BIRTH["father"], "residence": {"province": "Long An"}}
    BirthRegistration.model_validate({**body, "father": father})
    BirthRegistration.model_validate({**body, "registration_kind": "ordinary"})


def test_ltks_age_for_a_29_february_birthday() -> None:
    child = {**BIRTH["child"], "birth_date": "2024-02-29", "personal_id": None}
    body = changed(child=child, birth_notice=None, registration_kind="joined_ltks")
    BirthRegistration.model_validate({**body, "registered_on": "2030-02-28"})
    assert refused({**body, "registered_on": "2030-03-01"}) == (
        "ltks_child_too_old",
        ("registered_on",),
    )


def test_registration_kinds() -> None:
    assert {kind.value for kind in RegistrationKind} >= {"ordinary", "joined_ltks"}
    assert refused(changed(registration_kind="late")) == ("enum", ("registration_kind",))


def test_registration_place_must_be_an_agency_code() -> None:
    assert refused(changed(registration_place="Long An")) == (
        "agency_code",
        ("registration_place",),
    )


@pytest.mark.parametrize(("copies", "error"), [(-1, "greater_than_equal"), (51, "less_than_equal")])
def test_copies_are_between_0_and_50(copies: int, error: str) -> None:
    BirthRegistration.model_validate(changed(copies=50))
    assert refused(changed(copies=copies)) == (error, ("copies",))


def test_sex_is_male_or_female() -> None:
    assert refused(changed(child__sex="M")) == ("enum", ("child", "sex"))


def test_a_field_that_failed_is_not_checked_again() -> None:
    # The child is invalid, so the checks that need it stay silent: one error, not three.
    assert refused(changed(child__birth_date="not a date", registered_on="2000-01-01")) == (
        "date_from_datetime_parsing",
        ("child", "birth_date"),
    )
