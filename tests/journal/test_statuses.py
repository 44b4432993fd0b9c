"""The journal's status vocabulary: the exact text stored and shown, and the sets built on it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from lgsp.ids import new_message_id
from lgsp.journal import (
    IN_FLIGHT,
    SETTLED,
    Event,
    HistoryMark,
    Journal,
    MessageStatus,
    NewMessage,
    RecipientState,
    StatusChange,
    event_status,
)

RECIPIENT = "000.00.12.H41"


def test_message_statuses_are_the_text_the_journal_stores_and_the_api_shows() -> None:
    assert {s.value for s in MessageStatus} == {
        "accepted",
        "queued",
        "retrying",
        "replayed",
        "delivered",
        "done",
        "dead",
        "rejected",
        "discarded",
        "revoked",
    }
    assert MessageStatus.DEAD == "dead"
    assert json.dumps({"status": MessageStatus.DEAD}) == '{"status": "dead"}'
    assert f"{MessageStatus.REPLAYED}" == "replayed"


def test_recipient_states_and_history_marks_are_their_stored_text() -> None:
    assert {s.value for s in RecipientState} == {
        "delivered",
        "failed",
        "refused",
        "inboxed",
        "acked",
    }
    assert {m.value for m in HistoryMark} == {"leg", "waiting"}


def test_in_flight_and_settled_are_disjoint_and_only_revoked_is_in_neither() -> None:
    assert not IN_FLIGHT & SETTLED
    assert {s.value for s in IN_FLIGHT} == {"accepted", "queued", "retrying", "replayed"}
    assert {s.value for s in SETTLED} == {"delivered", "done", "dead", "rejected", "discarded"}
    # A revoked document neither travels nor holds an order key back: it is in neither set.
    assert set(MessageStatus) - IN_FLIGHT - SETTLED == {MessageStatus.REVOKED}


def test_event_status_reads_stored_text_back_as_its_member() -> None:
    assert event_status("delivered") is MessageStatus.DELIVERED
    assert event_status("delivered", recipient=RECIPIENT) is RecipientState.DELIVERED
    assert event_status("acked", recipient=RECIPIENT) is RecipientState.ACKED
    assert event_status("leg") is HistoryMark.LEG
    assert event_status("ministry.eligible") == "ministry.eligible"
    assert event_status("06", recipient=RECIPIENT) == "06"


async def test_a_record_read_back_carries_enum_members(tmp_path: Path) -> None:
    journal = await Journal.open(f"sqlite:///{tmp_path / 'lgsp.db'}")
    try:
        message_id = new_message_id()
        now = datetime.now(UTC)
        await journal.accept(
            NewMessage(
                id=message_id,
                type="document.send",
                sender="000.00.00.H41",
                sender_system="qlvb-a",
                recipients=(RECIPIENT,),
                created_at=now,
                payload=b"{}",
            )
        )
        await journal.change(
            StatusChange(
                message_id,
                Event(RecipientState.DELIVERED, now, recipient=RECIPIENT),
                new_status=MessageStatus.DELIVERED,
            )
        )
        await journal.change(StatusChange(message_id, Event("ministry.eligible", now)))

        record = await journal.get(message_id)
        found = await journal.find(status=MessageStatus.DELIVERED)
    finally:
        await journal.close()

    assert record is not None
    assert type(record.status) is MessageStatus
    assert record.status is MessageStatus.DELIVERED
    assert [type(e.status) for e in record.events] == [MessageStatus, RecipientState, str]
    assert [type(m.status) for m in found] == [MessageStatus]
