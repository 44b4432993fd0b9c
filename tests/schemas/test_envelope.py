"""The discriminated union of submissions and the envelope."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from lgsp.schemas import MESSAGE_TYPES, SUBMISSION, Envelope, axis_of

DOCUMENT = {
    "code": {"number": "1", "notation": "UBND"},
    "promulgation": {"place": "Vinh", "date": "2026-01-02"},
    "subject": "s",
}


def submit(**fields: object) -> bytes:
    return json.dumps(
        {"type": "document.send", "recipients": ["000.00.12.H41"], "body": DOCUMENT, **fields}
    ).encode()


def test_types_and_axes() -> None:
    assert set(MESSAGE_TYPES) >= {
        "document.send",
        "document.status",
        "civil_status.birth",
        "national.citizen_lookup",
    }
    assert axis_of("civil_status.birth") == "civil_status"


def test_union_picks_the_type() -> None:
    submission = SUBMISSION.validate_json(submit(priority=2, correlation_id="c"))
    assert submission.type == "document.send"
    assert submission.body.subject == "s"  # type: ignore[union-attr]
    assert submission.priority == 2


@pytest.mark.parametrize(
    ("fields", "error_type"),
    [
        ({"type": "nope"}, "union_tag_invalid"),
        ({"recipients": []}, "recipients_missing"),
        ({"recipients": ["000.00.12.H41", "000.00.12.H41"]}, "recipients_repeated"),
        ({"priority": 5}, "less_than_equal"),
        ({"deadline": "2026-01-01T00:00:00"}, "timezone_aware"),
        ({"id": "x"}, "extra_forbidden"),
    ],
)
def test_union_errors(fields: dict[str, object], error_type: str) -> None:
    with pytest.raises(ValidationError) as caught:
        SUBMISSION.validate_json(submit(**fields))
    assert caught.value.errors()[0]["type"] == error_type


def test_lookup_needs_no_recipients() -> None:
    raw = json.dumps(
        {"type": "national.citizen_lookup", "body": {"personal_id": "001090000001"}}
    ).encode()
    assert SUBMISSION.validate_json(raw).request_reply


def test_envelope_round_trip() -> None:
    submission = SUBMISSION.validate_json(submit())
    envelope = Envelope.of(
        submission, id="m1", sender="000.00.00.H41", created_at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    again = Envelope.model_validate_json(envelope.model_dump_json())
    assert again == envelope
    assert json.loads(envelope.model_dump_json())["body"]["subject"] == "s"
