"""``civil_status.lookup`` answered by the adapter (``answer``) from the Ministry's records."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from lgsp.adapters.base import Answerer
from lgsp.bus import Delivery, ReplyOutcome
from lgsp.bus.envelope import EnvelopeHeaders
from lgsp.ids import new_message_id
from tests.adapters.civil_status.civil_status_support import (
    BIRTH,
    NAMES,
    SENDER,
    Harness,
    drive,
    last_leg,
)
from tests.schemas.civil_national_samples import DEATH, DECEASED_ID


def lookup(body: dict[str, Any], *, deadline: datetime | None = None) -> Delivery:
    """A lookup as the gateway hands it to the bus: the caller's bytes and the gateway's
    headers."""
    envelope = EnvelopeHeaders(sender=SENDER, created_at=datetime.now(UTC), deadline=deadline)
    headers = envelope.to_headers()
    return Delivery(
        message_id=new_message_id(),
        routing_key="civil_status.lookup",
        body=json.dumps({"type": "civil_status.lookup", "body": body}).encode(),
        type="civil_status.lookup",
        headers=headers,
        correlation_id=None,
        content_type="application/json",
        redelivered=False,
        delivery_count=0,
    )


async def registered_birth(harness: Harness) -> dict[str, Any]:
    delivery = await harness.accept("civil_status.birth", BIRTH)
    await drive(harness.adapter(), delivery)
    result: dict[str, Any] = last_leg(await harness.record(delivery.message_id), "civil_status")[
        "result"
    ]
    return result


async def test_the_adapter_answers_lookups(harness: Harness) -> None:
    assert isinstance(harness.adapter(), Answerer)


async def test_a_birth_is_found_by_the_childs_personal_id(harness: Harness) -> None:
    registered = await registered_birth(harness)
    reply = await harness.adapter().answer(
        lookup({"record_kind": "birth", "personal_id": registered["personal_id"]})
    )
    assert reply.outcome is ReplyOutcome.FOUND
    assert reply.answer is not None
    answer = dict(reply.answer)
    assert answer["record_kind"] == "birth"
    assert answer["personal_id"] == registered["personal_id"]
    assert answer["registration_number"] == registered["registration_number"]
    assert answer["status"] == "done"
    record = answer["record"]
    assert record["child"]["full_name"] == BIRTH["child"]["full_name"]
    assert record["child"]["sex"] == "female"
    assert record["child"]["birth_date"] == "2026-03-10"
    assert record["child"]["birth_place"] == BIRTH["child"]["birth_place"]
    assert record["mother"]["id_document"]["type"] == "citizen_id_card"
    assert record["registered_on"] == "2026-03-20"
    assert record["copies"] == 2
    # Reply travels as JSON bytes.
    assert json.loads(reply.to_bytes())["answer"]["personal_id"] == registered["personal_id"]


async def test_a_death_is_found_by_registration_number_and_book(harness: Harness) -> None:
    delivery = await harness.accept("civil_status.death", DEATH)
    await drive(harness.adapter(), delivery)
    result = last_leg(await harness.record(delivery.message_id), "civil_status")["result"]
    reply = await harness.adapter().answer(
        lookup(
            {
                "record_kind": "death",
                "registration_number": result["registration_number"],
                "book_number": result["book_number"],
            }
        )
    )
    assert reply.outcome is ReplyOutcome.FOUND
    assert reply.answer is not None
    deceased = reply.answer["record"]["deceased"]
    assert deceased["personal_id"] == DECEASED_ID
    assert deceased["death_date"] == "2026-10-03"
    assert deceased["death_time"] == "04:30:00"
    by_id = await harness.adapter().answer(
        lookup({"record_kind": "death", "personal_id": DECEASED_ID})
    )
    assert by_id.outcome is ReplyOutcome.FOUND


async def test_an_unknown_record_is_not_found(harness: Harness) -> None:
    await registered_birth(harness)
    reply = await harness.adapter().answer(
        lookup({"record_kind": "birth", "personal_id": "054326000000"})
    )
    assert reply.outcome is ReplyOutcome.NOT_FOUND
    wrong_kind = await harness.adapter().answer(
        lookup({"record_kind": "marriage", "registration_number": "1/2026"})
    )
    assert wrong_kind.outcome is ReplyOutcome.NOT_FOUND


async def test_the_ministry_down_is_a_failed_reply_without_personal_data(harness: Harness) -> None:
    await harness.far.switch("civil_status", down=True)
    reply = await harness.adapter().answer(
        lookup({"record_kind": "birth", "personal_id": "054326000000"})
    )
    assert reply.outcome is ReplyOutcome.FAILED
    assert reply.detail == "the civil-status system answered HTTP 503"
    await harness.far.switch("civil_status", down=False, error_rate=1.0)
    busy = await harness.adapter().answer(
        lookup({"record_kind": "birth", "personal_id": "054326000000"})
    )
    assert busy.outcome is ReplyOutcome.FAILED
    assert busy.detail is not None
    assert "code 999" in busy.detail
    assert "054326000000" not in busy.detail


async def test_an_unreachable_or_unconfigured_ministry_fails(harness: Harness) -> None:
    body = {"record_kind": "birth", "personal_id": "054326000000"}
    unreachable = await harness.adapter(civil_status_url="http://127.0.0.1:9").answer(lookup(body))
    assert unreachable.outcome is ReplyOutcome.FAILED
    assert "unreachable" in (unreachable.detail or "")
    unset = await harness.adapter(civil_status_url="").answer(lookup(body))
    assert unset.outcome is ReplyOutcome.FAILED
    assert "LGSP_CIVIL_STATUS_URL" in (unset.detail or "")


async def test_a_slow_ministry_past_the_deadline_fails(harness: Harness) -> None:
    await harness.far.switch("civil_status", latency=1.0)
    soon = datetime.now(UTC) + timedelta(milliseconds=200)
    reply = await harness.adapter().answer(
        lookup({"record_kind": "birth", "personal_id": "054326000000"}, deadline=soon)
    )
    assert reply.outcome is ReplyOutcome.FAILED
    assert "timed out" in (reply.detail or "")


async def test_what_is_not_a_lookup_fails(harness: Harness) -> None:
    delivery = await harness.accept("civil_status.birth", BIRTH, record=False)
    reply = await harness.adapter().answer(delivery)
    assert reply.outcome is ReplyOutcome.FAILED
    garbled = await harness.adapter().answer(lookup({"record_kind": "birth"}))
    assert garbled.outcome is ReplyOutcome.FAILED
    assert not any(name in (garbled.detail or "") for name in NAMES)
