"""Round trips: any package model survives write → parse; any JSON body survives JSON → edXML →
JSON; fixtures and models map to JSON the contract's way."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lgsp.schemas.document import (
    Business,
    BusinessDocType,
    DocumentSend,
    DocumentStatus,
    OtherInfo,
    Priority,
    StatusCode,
)
from lgsp.schemas.edxml import (
    VIETNAM,
    EdxmlDocument,
    EdxmlOtherInfo,
    EdxmlStatus,
    Organization,
    StatusLayout,
    TraceHeader,
    document_from_json,
    document_to_json,
    message_type_of,
    parse,
    status_from_json,
    status_to_json,
    write,
)
from tests.schemas.edxml_samples import (
    SIGNATURES,
    attachments,
    businesses,
    dates,
    document_codes,
    document_ids,
    document_types,
    edxml_documents,
    edxml_statuses,
    optional_text,
    organizations,
    other_fields,
    promulgations,
    response_fors,
    signers,
    staff,
    text,
    timestamps,
)

FAST = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(edxml_documents)
def test_any_document_package_survives_write_then_parse(document: EdxmlDocument) -> None:
    assert parse(write(document)) == document


@FAST
@given(edxml_statuses)
def test_any_status_package_survives_write_then_parse(status: EdxmlStatus) -> None:
    assert parse(write(status)) == status


def _nonempty(model: type[Any], fields: dict[str, st.SearchStrategy[Any]]) -> Any:
    return (
        st.fixed_dictionaries({}, optional=fields)
        .filter(lambda d: any(v not in (None, ()) for v in d.values()))
        .map(lambda d: model(**d))
    )


document_sends = st.builds(
    DocumentSend,
    code=document_codes,
    promulgation=promulgations,
    document_type=st.none() | document_types,
    subject=text,
    content=optional_text,
    signer=st.none() | signers,
    due_date=st.none() | dates,
    priority=st.sampled_from(Priority),
    steering_type=st.none() | st.integers(0, 99),
    to_places=st.lists(text, max_size=3).map(tuple),
    other=st.none() | _nonempty(OtherInfo, other_fields),
    attachments=attachments,
    document_id=document_ids,
    response_for=st.none() | response_fors,
    business=st.none() | businesses,
)


@FAST
@given(
    document_sends,
    organizations,
    st.lists(organizations, min_size=1, max_size=3),
    st.lists(st.builds(TraceHeader, organ_id=st.just("000.00.00.H41"), timestamp=timestamps)),
)
def test_a_json_document_keeps_every_field_through_edxml(
    body: DocumentSend,
    sender: Organization,
    recipients: list[Organization],
    trace: list[TraceHeader],
) -> None:
    package = document_from_json(body, sender=sender, recipients=recipients, trace_headers=trace)
    again = parse(write(package))
    assert isinstance(again, EdxmlDocument)
    assert document_to_json(again) == body
    assert again.from_ == sender
    assert list(again.to) == recipients
    assert list(again.trace_headers) == trace


@FAST
@given(
    st.builds(
        DocumentStatus,
        response_for=response_fors,
        status_code=st.sampled_from(StatusCode),
        description=optional_text,
        timestamp=timestamps,
        staff=st.none() | staff,
    ),
    organizations,
)
def test_a_json_status_keeps_every_field_through_edxml(
    body: DocumentStatus, sender: Organization
) -> None:
    package = status_from_json(body, sender=sender)
    assert package.layout is StatusLayout.MESSAGE_HEADER  # the SDK's layout by default
    again = parse(write(package))
    assert isinstance(again, EdxmlStatus)
    back = status_to_json(again)
    # edXML's timestamps are Vietnam time: a naive one comes back with that offset made explicit.
    naive = body.timestamp.tzinfo is None
    expected = body.timestamp.replace(tzinfo=VIETNAM) if naive else body.timestamp
    assert back.timestamp == expected
    assert back.timestamp.utcoffset() == dt.timedelta(hours=7)
    assert back.model_copy(update={"timestamp": body.timestamp}) == body


def test_priority_moves_between_other_info_and_the_top_level() -> None:
    body = DocumentSend.model_validate(
        {
            "code": {"number": "1", "notation": "UBND"},
            "promulgation": {"place": "Vinh", "date": "2026-01-02"},
            "subject": "s",
            "priority": 3,
        }
    )
    sender = Organization(organ_id="000.00.00.H41")
    package = document_from_json(body, sender=sender, recipients=[sender])
    assert package.other == EdxmlOtherInfo(priority=Priority.FLASH)
    assert b"<edXML:Priority>3</edXML:Priority>" in write(package)
    back = document_to_json(package)
    assert back.priority is Priority.FLASH
    assert back.other is None
    # No OtherInfo at all reads as normal priority.
    assert document_to_json(package.model_copy(update={"other": None})).priority is Priority.NORMAL


def test_the_rest_of_other_info_stays_in_other() -> None:
    package = parse(write(_small_document(other=EdxmlOtherInfo(page_amount=3))))
    assert isinstance(package, EdxmlDocument)
    body = document_to_json(package)
    assert body.priority is Priority.NORMAL
    assert body.other == OtherInfo(page_amount=3)


def _small_document(**fields: Any) -> EdxmlDocument:
    base: dict[str, Any] = {
        "from": {"organ_id": "000.00.00.H41"},
        "to": [{"organ_id": "000.00.00.G22"}],
        "code": {"number": "1", "notation": "UBND"},
        "promulgation": {"place": "Vinh", "date": "2026-01-02"},
        "subject": "s",
    }
    return EdxmlDocument.model_validate(base).model_copy(update=fields)


def test_message_type_follows_the_business_doc_type() -> None:
    document = _small_document()
    assert message_type_of(document) == "document.send"
    expected = {
        BusinessDocType.NEW: "document.send",
        BusinessDocType.REVOKE: "document.revoke",
        BusinessDocType.UPDATE: "document.update",
        BusinessDocType.REPLACE: "document.replace",
    }
    for doc_type, message_type in expected.items():
        changed = document.model_copy(update={"business": Business(doc_type=doc_type)})
        assert message_type_of(changed) == message_type


def test_empty_sub_models_are_absent_as_an_empty_element_is() -> None:
    document = EdxmlDocument.model_validate(
        {
            **_small_document().model_dump(),
            "signer": {},
            "other": {"appendixes": []},
            "business": {"doc_type": 0, "staff": {}},
        }
    )
    assert document.signer is None
    assert document.other is None
    assert document.business is not None
    assert document.business.staff is None
    assert parse(write(document)) == document


def test_package_json_spells_from_as_from() -> None:
    document = _small_document(signature=SIGNATURES[0])
    dumped = document.model_dump(mode="json")
    assert "from" in dumped
    assert "from_" not in dumped
    assert EdxmlDocument.model_validate_json(document.model_dump_json()) == document
    assert document.signature is not None
    assert document.signature not in repr(document)


def test_timestamps_are_normalized_to_vietnam_whole_seconds() -> None:
    utc = dt.datetime(2026, 1, 2, 1, 30, 15, 999_999, tzinfo=dt.UTC)
    trace = TraceHeader(organ_id="000.00.00.H41", timestamp=utc)
    assert trace.timestamp == dt.datetime(2026, 1, 2, 8, 30, 15, tzinfo=VIETNAM)
    assert trace.timestamp.utcoffset() == dt.timedelta(hours=7)
    naive = TraceHeader(organ_id="000.00.00.H41", timestamp=dt.datetime(2026, 1, 2, 8, 30))
    assert naive.timestamp == dt.datetime(2026, 1, 2, 8, 30, tzinfo=VIETNAM)
