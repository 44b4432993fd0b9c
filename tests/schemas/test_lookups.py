"""The civil-status axis body ``CivilStatusLookup`` and the national body ``CatalogLookup``."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from lgsp.schemas import CatalogLookup, CivilStatusLookup, RecordKind

PERSONAL_ID = "001190012345"


def refused(model: type[BaseModel], body: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    with pytest.raises(ValidationError) as exc_info:
        model.model_validate(body)
    [error] = exc_info.value.errors()
    return error["type"], error["loc"]


@pytest.mark.parametrize(
    "body",
    [
        {"record_kind": "birth", "personal_id": PERSONAL_ID},
        {"record_kind": "death", "registration_number": "125", "book_number": "01/2026"},
        {
            "record_kind": "marriage",
            "registration_number": "37",
            "registration_place": "000.00.05.H62",
            "personal_id": PERSONAL_ID,
        },
    ],
)
def test_a_civil_status_lookup_by_either_key_validates(body: dict[str, Any]) -> None:
    lookup = CivilStatusLookup.model_validate(body)
    assert lookup.model_dump(mode="json", exclude_none=True) == body


def test_a_civil_status_lookup_keeps_the_ministry_names_and_hides_the_personal_id() -> None:
    lookup = CivilStatusLookup.model_validate({"record_kind": "birth", "personal_id": PERSONAL_ID})
    assert lookup.record_kind is RecordKind.BIRTH
    assert PERSONAL_ID not in repr(lookup)
    fields = CivilStatusLookup.model_json_schema()["properties"]
    assert fields["registration_number"]["description"] == "soDangKy"
    assert fields["book_number"]["description"] == "quyenSo"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"record_kind": "birth"}, ("lookup_key_missing", ())),
        (
            {"record_kind": "birth", "book_number": "01/2026", "personal_id": PERSONAL_ID},
            ("book_number_without_registration_number", ("book_number",)),
        ),
        ({"personal_id": PERSONAL_ID}, ("missing", ("record_kind",))),
        ({"record_kind": "divorce", "personal_id": PERSONAL_ID}, ("enum", ("record_kind",))),
        (
            {"record_kind": "birth", "personal_id": "003190012345"},
            ("personal_id_province", ("personal_id",)),
        ),
        (
            {"record_kind": "birth", "registration_number": ""},
            ("string_too_short", ("registration_number",)),
        ),
        (
            {"record_kind": "birth", "registration_number": "1" * 51},
            ("string_too_long", ("registration_number",)),
        ),
    ],
)
def test_a_civil_status_lookup_is_refused(
    body: dict[str, Any], expected: tuple[str, tuple[Any, ...]]
) -> None:
    assert refused(CivilStatusLookup, body) == expected


@pytest.mark.parametrize(
    "body",
    [
        {"catalog": "dmdc", "list_code": "DanToc", "item_code": "01"},
        {"catalog": "dmdc", "query": "Kinh"},
        {"catalog": "dm-hanh-chinh", "item_code": "80.123_A"},
    ],
)
def test_a_catalog_lookup_validates(body: dict[str, Any]) -> None:
    lookup = CatalogLookup.model_validate(body)
    assert CatalogLookup.model_validate_json(lookup.model_dump_json()) == lookup
    assert lookup.model_dump(mode="json", exclude_none=True) == body


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"catalog": "dmdc"}, ("item_code_or_query", ())),
        ({"catalog": "dmdc", "item_code": "01", "query": "Kinh"}, ("item_code_or_query", ())),
        ({"catalog": "../token", "item_code": "01"}, ("string_pattern_mismatch", ("catalog",))),
        ({"catalog": "DMDC", "item_code": "01"}, ("string_pattern_mismatch", ("catalog",))),
        ({"catalog": "d" * 41, "item_code": "01"}, ("string_pattern_mismatch", ("catalog",))),
        ({"catalog": "dmdc", "item_code": ".."}, ("string_pattern_mismatch", ("item_code",))),
        ({"catalog": "dmdc", "item_code": "a/b"}, ("string_pattern_mismatch", ("item_code",))),
        ({"catalog": "dmdc", "item_code": "1" * 51}, ("string_pattern_mismatch", ("item_code",))),
        (
            {"catalog": "dmdc", "list_code": "a b", "query": "x"},
            ("string_pattern_mismatch", ("list_code",)),
        ),
        ({"catalog": "dmdc", "query": "x" * 201}, ("string_too_long", ("query",))),
        ({"catalog": "dmdc", "query": "   "}, ("string_too_short", ("query",))),
        ({"item_code": "01"}, ("missing", ("catalog",))),
    ],
)
def test_a_catalog_lookup_is_refused(
    body: dict[str, Any], expected: tuple[str, tuple[Any, ...]]
) -> None:
    assert refused(CatalogLookup, body) == expected
