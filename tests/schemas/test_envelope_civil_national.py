"""The civil-status and national message types in the union, and their envelopes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from lgsp.schemas import (
    MESSAGE_TYPES,
    SUBMISSION,
    CatalogLookup,
    CitizenLookup,
    CivilStatusLookup,
    DeathRegistration,
    DossierSync,
    Envelope,
    MarriageRegistration,
)
from tests.schemas.civil_national_samples import DEATH, DOSSIER, MARRIAGE

PORTAL = "000.00.00.G22"

CASES: list[tuple[str, dict[str, Any], type[Any], bool]] = [
    ("civil_status.death", DEATH, DeathRegistration, False),
    ("civil_status.marriage", MARRIAGE, MarriageRegistration, False),
    (
        "civil_status.lookup",
        {"record_kind": "death", "personal_id": "064052001234"},
        CivilStatusLookup,
        True,
    ),
    ("national.catalog_lookup", {"catalog": "dmdc", "query": "Kinh"}, CatalogLookup, True),
    ("national.dossier_sync", DOSSIER, DossierSync, False),
]


def submit(message_type: str, body: dict[str, Any], request_reply: bool) -> bytes:
    recipients = [] if request_reply else [PORTAL]
    return json.dumps({"type": message_type, "recipients": recipients, "body": body}).encode()


def test_the_new_types_are_known() -> None:
    assert {case[0] for case in CASES} <= set(MESSAGE_TYPES)
    assert len(MESSAGE_TYPES) == 12


@pytest.mark.parametrize(("message_type", "body", "model", "request_reply"), CASES)
def test_union_round_trip(
    message_type: str, body: dict[str, Any], model: type[Any], request_reply: bool
) -> None:
    submission = SUBMISSION.validate_json(submit(message_type, body, request_reply))
    assert type(submission) is MESSAGE_TYPES[message_type]
    assert submission.request_reply is request_reply
    assert type(submission.body) is model
    assert SUBMISSION.validate_json(SUBMISSION.dump_json(submission)) == submission
    envelope = Envelope.of(
        submission, id="m1", sender="000.00.21.H21", created_at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    again = Envelope.model_validate_json(envelope.model_dump_json())
    assert again == envelope
    assert type(again.body) is model


@pytest.mark.parametrize(("message_type", "body", "model", "request_reply"), CASES)
def test_messages_need_recipients_and_lookups_do_not(
    message_type: str, body: dict[str, Any], model: type[Any], request_reply: bool
) -> None:
    raw = json.dumps({"type": message_type, "body": body}).encode()
    if request_reply:
        assert SUBMISSION.validate_json(raw).request_reply
        return
    with pytest.raises(ValidationError) as caught:
        SUBMISSION.validate_json(raw)
    assert caught.value.errors()[0]["type"] == "recipients_missing"


def test_a_citizen_lookup_envelope_stays_a_citizen_lookup() -> None:
    raw = json.dumps(
        {"type": "national.citizen_lookup", "body": {"personal_id": "064052001234"}}
    ).encode()
    envelope = Envelope.of(
        SUBMISSION.validate_json(raw),
        id="m2",
        sender="000.00.21.H21",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert type(Envelope.model_validate_json(envelope.model_dump_json()).body) is CitizenLookup


def test_a_body_of_another_type_is_refused_at_the_body() -> None:
    raw = submit("civil_status.death", MARRIAGE, False)
    with pytest.raises(ValidationError) as caught:
        SUBMISSION.validate_json(raw)
    assert {error["loc"][:2] for error in caught.value.errors()} == {("civil_status.death", "body")}
