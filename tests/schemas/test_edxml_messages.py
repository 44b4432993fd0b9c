"""Revoke, update and replace as JSON: ``DocumentSend``'s new fields and the new message types."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from lgsp.schemas import MESSAGE_TYPES, SUBMISSION
from lgsp.schemas.document import BusinessDocType, DocumentSend, ResponseFor
from lgsp.schemas.envelope import (
    DocumentReplaceSubmission,
    DocumentRevokeSubmission,
    DocumentSendSubmission,
    DocumentUpdateSubmission,
)

DOCUMENT: dict[str, Any] = {
    "code": {"number": "7816", "notation": "VPCP-TTĐT"},
    "promulgation": {"place": "Hà Nội", "date": "2018-09-28"},
    "subject": "V/v kết nối, liên thông phần mềm quản lý văn bản",
}
REVOKE_BODY: dict[str, Any] = {
    **DOCUMENT,
    "document_id": "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT",
    "response_for": {
        "organ_id": "000.00.00.H14",
        "code": "267/VPCP-TTĐT",
        "promulgation_date": "2018-09-28",
        "document_id": "000.00.04.G14,2012/08/06,267/VPCP-TTĐT",
    },
    "business": {
        "doc_type": 1,
        "reason": "Thu hồi văn bản điện tử",
        "paper": 0,
        "staff": {"department": "Văn thư văn phòng", "staff": "Nguyễn Thị Ngọc Trâm"},
    },
}


def submit(message_type: str, body: dict[str, Any]) -> Any:
    raw = {"type": message_type, "recipients": ["000.00.00.H41"], "body": body}
    return SUBMISSION.validate_json(json.dumps(raw).encode())


def with_doc_type(doc_type: int | None) -> dict[str, Any]:
    if doc_type is None:
        return {key: value for key, value in REVOKE_BODY.items() if key != "business"}
    return {**REVOKE_BODY, "business": {**REVOKE_BODY["business"], "doc_type": doc_type}}


def test_every_document_type_is_a_message_type() -> None:
    assert {
        "document.send",
        "document.status",
        "document.revoke",
        "document.update",
        "document.replace",
    } <= set(MESSAGE_TYPES)
    assert MESSAGE_TYPES["document.revoke"] is DocumentRevokeSubmission
    assert MESSAGE_TYPES["document.update"] is DocumentUpdateSubmission
    assert MESSAGE_TYPES["document.replace"] is DocumentReplaceSubmission
    assert MESSAGE_TYPES["document.send"] is DocumentSendSubmission


@pytest.mark.parametrize(
    ("message_type", "doc_type"),
    [
        ("document.revoke", BusinessDocType.REVOKE),
        ("document.update", BusinessDocType.UPDATE),
        ("document.replace", BusinessDocType.REPLACE),
        ("document.send", BusinessDocType.NEW),
    ],
)
def test_a_change_is_accepted_when_business_says_the_same(
    message_type: str, doc_type: BusinessDocType
) -> None:
    submission = submit(message_type, with_doc_type(doc_type))
    assert submission.type == message_type
    assert submission.body.business.doc_type is doc_type


@pytest.mark.parametrize(
    ("message_type", "doc_type"),
    [
        ("document.revoke", 2),
        ("document.revoke", None),  # a revoke must say what it revokes
        ("document.update", 0),
        ("document.replace", 1),
        ("document.send", 3),  # a "send" that replaces would be routed as new
    ],
)
def test_a_business_doc_type_that_contradicts_the_type_is_refused(
    message_type: str, doc_type: int | None
) -> None:
    with pytest.raises(ValidationError) as caught:
        submit(message_type, with_doc_type(doc_type))
    [error] = caught.value.errors()
    assert error["type"] == "business_doc_type_mismatch"
    assert error["loc"] == (message_type, "body")
    assert "doc_type" in error["msg"]


def test_a_plain_send_needs_no_business_and_dumps_as_before() -> None:
    submission = submit("document.send", DOCUMENT)
    dumped = submission.body.model_dump(mode="json")
    # The added fields stay out of the JSON when unset: what vendors get back is unchanged.
    assert {"document_id", "response_for", "business"}.isdisjoint(dumped)
    full = DocumentSend.model_validate(REVOKE_BODY)
    assert full.model_dump(mode="json", exclude_defaults=True)["business"]["doc_type"] == 1
    assert DocumentSend.model_validate_json(full.model_dump_json()) == full


@pytest.mark.parametrize(
    "document_id",
    [
        "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT",
        "9fbfbad2-f1f8-4256-a2eb-50fb1061cddb",  # ids without commas are data
        "000.00.00.G22,2015/9/3,1/UBND",
    ],
)
def test_document_ids_in_the_standard_form_or_without_commas_are_accepted(
    document_id: str,
) -> None:
    assert DocumentSend.model_validate({**DOCUMENT, "document_id": document_id}).document_id


@pytest.mark.parametrize(
    ("document_id", "reason"),
    [
        ("000.00.00.G22,2014/02/30,7806/VPCP-TTĐT", "not a date"),
        ("28.22.H17,2015/09/30,1/UBND", "not an agency code"),
        ("000.00.00.G22,2015-09-30,1/UBND", "yyyy/MM/dd"),
        ("000.00.00.G22,2015/09/30,", "empty"),
        ("a,b", "not an agency code"),
    ],
)
def test_a_document_id_that_claims_the_form_but_breaks_it_is_refused(
    document_id: str, reason: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        ResponseFor.model_validate({**REVOKE_BODY["response_for"], "document_id": document_id})
    [error] = caught.value.errors()
    assert (error["type"], error["loc"]) == ("document_id", ("document_id",))
    assert reason in error["msg"]
    assert document_id in error["msg"]


def test_business_codes_are_checked() -> None:
    body = {
        **REVOKE_BODY,
        "business": {
            "doc_type": 2,
            "receivers": [{"organ_id": "000.00.00.H41", "receiver_type": 2}],
            "replacements": [{"document_id": "x", "organ_ids": ["28.22.H17"]}],
        },
    }
    with pytest.raises(ValidationError) as caught:
        DocumentSend.model_validate(body)
    assert {(e["type"], e["loc"]) for e in caught.value.errors()} == {
        ("enum", ("business", "receivers", 0, "receiver_type")),
        ("agency_code", ("business", "replacements", 0, "organ_ids", 0)),
    }
