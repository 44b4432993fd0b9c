"""The document axis bodies: ``DocumentSend`` and ``DocumentStatus``."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from lgsp.schemas.document import (
    Attachment,
    DocumentSend,
    DocumentStatus,
    Priority,
    StatusCode,
)

# edoc_new.edxml's MessageHeader, in the JSON spelling.
SEND: dict[str, Any] = {
    "code": {"number": "7816", "notation": "VPCP-TTĐT"},
    "promulgation": {"place": "Hà Nội", "date": "2019-01-16"},
    "document_type": {"type": 1, "detail": 0, "name": "Công văn"},
    "subject": "V/v kết nối, liên thông phần mềm quản lý văn bản",
    "content": "V/v kết nối, liên thông phần mềm quản lý văn bản",
    "signer": {
        "competence": "TL. BỘ TRƯỞNG",
        "position": "Cục trưởng Cục Ứng dụng công nghệ thông tin",
        "full_name": "Nguyễn Thành Phúc",
    },
    "due_date": "2018-09-28",
    "priority": 0,
    "steering_type": 1,
    "to_places": ["Các bộ và cơ quan ngang bộ", "Ủy ban nhân dân các tỉnh, TP"],
    "other": {
        "sphere_of_promulgation": "Liên thông văn bản quốc gia",
        "typer_notation": "TVC",
        "promulgation_amount": 2,
        "page_amount": 22,
        "direction": False,
        "appendixes": ["Công văn về việc kết nối, liên thông phần mềm quản lý văn bản"],
    },
    "attachments": [
        {
            "content_id": "cid:209",
            "name": "1896_QD-TTg_m_294779.doc",
            "content_type": "application/zip",
            "description": "1896_QD-TTg_m_294779.doc",
            "data": base64.b64encode(b"PK\x03\x04 not really a zip").decode(),
        }
    ],
}

# status_acceptance_03.edxml's MessageHeader, in the JSON spelling.
STATUS: dict[str, Any] = {
    "response_for": {
        "organ_id": "000.00.00.G22",
        "code": "7816/VPCP-TTĐT",
        "promulgation_date": "2015-09-30",
        "document_id": "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT",
    },
    "status_code": "03",
    "description": "Văn thư - Phòng Văn thư - Lưu trữ: Tiếp nhận văn bản điện tử",
    "timestamp": "2015-09-20T11:08:36",
    "staff": {
        "department": "Phòng hành chính",
        "staff": "Nguyễn Thị Ngọc Trâm",
        "email": "ngoctram@nghean.vn",
        "mobile": "84912000001",
    },
}


def with_(base: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep-enough copy of ``base`` with ``value`` at a dotted ``path`` (``code.number``)."""
    copy = {key: dict(v) if isinstance(v, dict) else v for key, v in base.items()}
    *parents, last = path.split(".")
    target = copy
    for key in parents:
        target = target[key]
    target[last] = value
    return copy


def only_error(exc_info: pytest.ExceptionInfo[ValidationError]) -> tuple[str, tuple[Any, ...]]:
    [error] = exc_info.value.errors()
    return error["type"], error["loc"]


def test_the_fixture_document_validates() -> None:
    send = DocumentSend.model_validate(SEND)
    assert send.promulgation.date == dt.date(2019, 1, 16)
    assert send.priority is Priority.NORMAL
    assert send.other is not None
    assert send.other.direction is False
    assert send.to_places[1] == "Ủy ban nhân dân các tỉnh, TP"


def test_only_code_promulgation_and_subject_are_required() -> None:
    send = DocumentSend.model_validate(
        {key: SEND[key] for key in ("code", "promulgation", "subject")}
    )
    assert send.priority is Priority.NORMAL
    assert send.to_places == ()
    assert send.attachments == ()
    assert send.document_type is None
    assert send.other is None
    assert send.steering_type is None


@pytest.mark.parametrize("field", ["code", "promulgation", "subject"])
def test_a_required_field_missing_is_named(field: str) -> None:
    body = {key: value for key, value in SEND.items() if key != field}
    with pytest.raises(ValidationError) as exc_info:
        DocumentSend.model_validate(body)
    assert only_error(exc_info) == ("missing", (field,))


def test_json_round_trip_keeps_every_field() -> None:
    send = DocumentSend.model_validate(SEND)
    assert DocumentSend.model_validate_json(send.model_dump_json()) == send
    status = DocumentStatus.model_validate(STATUS)
    assert DocumentStatus.model_validate_json(status.model_dump_json()) == status


def test_dumped_json_uses_the_contract_spelling() -> None:
    dumped = DocumentSend.model_validate(SEND).model_dump(mode="json")
    assert dumped == SEND


@pytest.mark.parametrize(
    ("path", "loc"),
    [
        ("sender", ("sender",)),
        ("code.CodeNumber", ("code", "CodeNumber")),
        ("other.priority", ("other", "priority")),
    ],
)
def test_unknown_fields_are_refused(path: str, loc: tuple[str, ...]) -> None:
    with pytest.raises(ValidationError) as exc_info:
        DocumentSend.model_validate(with_(SEND, path, 0))
    assert only_error(exc_info) == ("extra_forbidden", loc)


def test_subject_over_500_characters_is_refused() -> None:
    DocumentSend.model_validate(with_(SEND, "subject", "v" * 500))
    with pytest.raises(ValidationError) as exc_info:
        DocumentSend.model_validate(with_(SEND, "subject", "v" * 501))
    assert only_error(exc_info) == ("string_too_long", ("subject",))


def test_blank_subject_is_refused() -> None:
    with pytest.raises(ValidationError) as exc_info:
        DocumentSend.model_validate(with_(SEND, "subject", "   "))
    assert only_error(exc_info) == ("string_too_short", ("subject",))


def test_content_over_500_characters_is_refused() -> None:
    with pytest.raises(ValidationError) as exc_info:
        DocumentSend.model_validate(with_(SEND, "content", "c" * 501))
    assert only_error(exc_info) == ("string_too_long", ("content",))


@pytest.mark.parametrize("value", [0, 1, 2, 3, 4])
def test_every_priority_of_the_standard_is_accepted(value: int) -> None:
    assert DocumentSend.model_validate(with_(SEND, "priority", value)).priority == value


def test_priority_outside_the_standard_is_refused() -> None:
    with pytest.raises(ValidationError) as exc_info:
        DocumentSend.model_validate(with_(SEND, "priority", 5))
    assert only_error(exc_info) == ("enum", ("priority",))


def test_edxml_date_spelling_is_not_the_json_one() -> None:
    with pytest.raises(ValidationError) as exc_info:
        DocumentSend.model_validate(with_(SEND, "promulgation.date", "2019/01/16"))
    assert only_error(exc_info)[1] == ("promulgation", "date")


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("steering_type", -1),
        ("document_type.type", -1),
        ("other.page_amount", -1),
        ("other.promulgation_amount", -2),
    ],
)
def test_codes_and_amounts_are_not_negative(path: str, value: int) -> None:
    with pytest.raises(ValidationError) as exc_info:
        DocumentSend.model_validate(with_(SEND, path, value))
    assert only_error(exc_info) == ("greater_than_equal", tuple(path.split(".")))


def _attachment(**changes: Any) -> dict[str, Any]:
    return {**SEND["attachments"][0], **changes}


@pytest.mark.parametrize(
    "data",
    [
        "QUJD",  # 'ABC'
        "QUI=",
        "QQ==",
        # edoc_new.edxml's attachment is one line of base64 ending in '=='.
        base64.b64encode(bytes(range(256)) * 4).decode(),
    ],
)
def test_standard_base64_is_accepted_as_text(data: str) -> None:
    attachment = Attachment.model_validate(_attachment(data=data))
    assert attachment.data == data


@pytest.mark.parametrize(
    "data",
    [
        "QUJ",  # not a multiple of 4
        "QUJD\nREVG",  # wrapped lines
        "QU JD",
        "QUJD-_8=",  # the URL-safe alphabet
        "Q===",
        "QQ==QUJD",  # padding in the middle
    ],
)
def test_anything_but_strict_base64_is_refused(data: str) -> None:
    with pytest.raises(ValidationError) as exc_info:
        DocumentSend.model_validate(with_(SEND, "attachments", [_attachment(data=data)]))
    assert only_error(exc_info) == ("base64", ("attachments", 0, "data"))


def test_empty_attachment_data_is_refused() -> None:
    with pytest.raises(ValidationError) as exc_info:
        Attachment.model_validate(_attachment(data=""))
    assert only_error(exc_info) == ("string_too_short", ("data",))


@pytest.mark.parametrize("field", ["content_id", "name", "content_type", "data"])
def test_attachment_required_fields(field: str) -> None:
    attachment = {key: value for key, value in _attachment().items() if key != field}
    with pytest.raises(ValidationError) as exc_info:
        Attachment.model_validate(attachment)
    assert only_error(exc_info) == ("missing", (field,))


def test_content_type_must_look_like_a_media_type() -> None:
    Attachment.model_validate(_attachment(content_type="text/plain; charset=utf-8"))
    with pytest.raises(ValidationError) as exc_info:
        Attachment.model_validate(_attachment(content_type="pdf"))
    assert only_error(exc_info) == ("string_pattern_mismatch", ("content_type",))


def test_content_ids_are_unique_within_a_document() -> None:
    attachments = [
        _attachment(content_id="cid:1"),
        _attachment(content_id="cid:2"),
        _attachment(content_id="cid:1", name="other.pdf"),
    ]
    with pytest.raises(ValidationError) as exc_info:
        DocumentSend.model_validate(with_(SEND, "attachments", attachments))
    assert only_error(exc_info) == ("duplicate_content_id", ("attachments",))
    message = exc_info.value.errors()[0]["msg"]
    assert "attachments[2].content_id" in message
    assert "attachments[0]" in message


def test_attachment_data_is_kept_out_of_repr() -> None:
    send = DocumentSend.model_validate(SEND)
    assert SEND["attachments"][0]["data"] not in repr(send)


def test_models_are_frozen() -> None:
    send = DocumentSend.model_validate(SEND)
    with pytest.raises(ValidationError) as exc_info:
        send.subject = "changed"  # type: ignore[misc]
    assert only_error(exc_info)[0] == "frozen_instance"


_text = (
    st.text(st.characters(categories=("L", "N", "P", "Zs")), min_size=1, max_size=40)
    .map(str.strip)
    .filter(bool)
)
_count = st.integers(min_value=0, max_value=10_000)
_optional_text = st.none() | _text


@st.composite
def document_send_bodies(draw: st.DrawFn) -> dict[str, Any]:
    attachments = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "content_id": _text.map(lambda s: f"cid:{s}"),
                    "name": _text,
                    "content_type": st.sampled_from(["application/pdf", "application/zip"]),
                    "data": st.binary(min_size=1, max_size=64).map(
                        lambda b: base64.b64encode(b).decode()
                    ),
                },
                optional={"description": _optional_text},
            ),
            max_size=3,
            unique_by=lambda a: a["content_id"],
        )
    )
    return draw(
        st.fixed_dictionaries(
            {
                "code": st.fixed_dictionaries({"number": _text, "notation": _text}),
                "promulgation": st.fixed_dictionaries({"place": _text, "date": st.dates()}),
                "subject": _text,
            },
            optional={
                "document_type": st.none()
                | st.fixed_dictionaries(
                    {"type": _count},
                    optional={"detail": st.none() | _count, "name": _optional_text},
                ),
                "content": _optional_text,
                "signer": st.none()
                | st.fixed_dictionaries(
                    {},
                    optional={
                        "competence": _optional_text,
                        "position": _optional_text,
                        "full_name": _optional_text,
                    },
                ),
                "due_date": st.none() | st.dates(),
                "priority": st.sampled_from(list(Priority)),
                "steering_type": st.none() | _count,
                "to_places": st.lists(_text, max_size=3),
                "other": st.none()
                | st.fixed_dictionaries(
                    {},
                    optional={
                        "sphere_of_promulgation": _optional_text,
                        "typer_notation": _optional_text,
                        "promulgation_amount": st.none() | _count,
                        "page_amount": st.none() | _count,
                        "direction": st.none() | st.booleans(),
                        "appendixes": st.lists(_text, max_size=3),
                    },
                ),
                "attachments": st.just(attachments),
            },
        )
    )


@given(document_send_bodies())
def test_any_valid_document_survives_a_json_round_trip(body: dict[str, Any]) -> None:
    send = DocumentSend.model_validate(body)
    assert DocumentSend.model_validate_json(send.model_dump_json()) == send


# document.status


def test_the_fixture_status_validates() -> None:
    status = DocumentStatus.model_validate(STATUS)
    assert status.status_code is StatusCode.ACCEPTED
    assert status.response_for.promulgation_date == dt.date(2015, 9, 30)
    assert status.timestamp == dt.datetime(2015, 9, 20, 11, 8, 36)


def test_status_needs_only_response_for_code_and_timestamp() -> None:
    status = DocumentStatus.model_validate(
        {key: STATUS[key] for key in ("response_for", "status_code", "timestamp")}
    )
    assert status.staff is None
    assert status.description is None


@pytest.mark.parametrize("code", [f"{n:02d}" for n in range(1, 17)])
def test_every_status_code_of_the_standard_is_accepted(code: str) -> None:
    assert DocumentStatus.model_validate(with_(STATUS, "status_code", code)).status_code == code


def test_status_codes_have_domain_names() -> None:
    assert StatusCode("01") is StatusCode.ARRIVED
    assert StatusCode("02") is StatusCode.REFUSED
    assert StatusCode("06") is StatusCode.DONE
    assert StatusCode("13") is StatusCode.REVOKED
    assert StatusCode("15") is StatusCode.CHANGE_AGREED
    assert StatusCode("16") is StatusCode.CHANGE_REFUSED
    assert len(StatusCode) == 16


@pytest.mark.parametrize("code", ["17", "00", "1", 3])
def test_status_code_outside_01_to_16_is_refused(code: object) -> None:
    with pytest.raises(ValidationError) as exc_info:
        DocumentStatus.model_validate(with_(STATUS, "status_code", code))
    assert only_error(exc_info) == ("enum", ("status_code",))


def test_response_for_organ_id_must_be_an_agency_code() -> None:
    # edoc_new.edxml carries this broken code.
    with pytest.raises(ValidationError) as exc_info:
        DocumentStatus.model_validate(with_(STATUS, "response_for.organ_id", "28.22.H17"))
    assert only_error(exc_info) == ("agency_code", ("response_for", "organ_id"))


def test_document_id_is_loose_but_bounded() -> None:
    # edoc.edxml carries a UUID where the standard puts 'OrganId,yyyy/MM/dd,Number/Notation'.
    uuid = "9fbfbad2-f1f8-4256-a2eb-50fb1061cddb"
    DocumentStatus.model_validate(with_(STATUS, "response_for.document_id", uuid))
    for value, error in (("", "string_too_short"), ("x" * 101, "string_too_long")):
        with pytest.raises(ValidationError) as exc_info:
            DocumentStatus.model_validate(with_(STATUS, "response_for.document_id", value))
        assert only_error(exc_info) == (error, ("response_for", "document_id"))


def test_timestamp_accepts_iso_8601_with_an_offset() -> None:
    status = DocumentStatus.model_validate(with_(STATUS, "timestamp", "2018-09-28T17:25:11+07:00"))
    assert status.timestamp.utcoffset() == dt.timedelta(hours=7)


def test_status_description_over_500_characters_is_refused() -> None:
    with pytest.raises(ValidationError) as exc_info:
        DocumentStatus.model_validate(with_(STATUS, "description", "d" * 501))
    assert only_error(exc_info) == ("string_too_long", ("description",))


def test_unknown_staff_field_is_refused() -> None:
    with pytest.raises(ValidationError) as exc_info:
        DocumentStatus.model_validate(with_(STATUS, "staff.Mobile", "84912000001"))
    assert only_error(exc_info) == ("extra_forbidden", ("staff", "Mobile"))
