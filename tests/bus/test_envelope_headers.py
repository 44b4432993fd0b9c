"""The envelope codec: every fact the gateway adds travels under one header name and reads back
as it was written."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from lgsp.bus import Delivery
from lgsp.bus.envelope import EnvelopeHeaders
from lgsp.errors import PermanentDeliveryError

NOW = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
FULL = EnvelopeHeaders(
    sender="000.00.00.H41",
    created_at=NOW,
    system="qlvb-a",
    recipients=("000.00.12.H41", "000.00.13.H41"),
    priority=2,
    deadline=NOW + timedelta(days=1),
    signature="signed",
    blob="sha256:abc",
    replayed=True,
)


def _delivery(headers: dict[str, object]) -> Delivery:
    return Delivery(
        message_id="m-1",
        routing_key="document.send",
        body=b"{}",
        type="document.send",
        headers=headers,
        correlation_id=None,
        content_type="application/json",
        redelivered=False,
        delivery_count=0,
    )


def test_every_fact_reads_back_as_written() -> None:
    assert EnvelopeHeaders.from_delivery(_delivery(FULL.to_headers())) == FULL


def test_one_header_name_per_fact() -> None:
    headers = FULL.to_headers()
    assert sorted(headers) == sorted(
        [
            "x-lgsp-sender",
            "x-lgsp-system",
            "x-lgsp-recipients",
            "x-lgsp-created-at",
            "x-lgsp-priority",
            "x-lgsp-deadline",
            "x-lgsp-signature",
            "x-lgsp-blob",
            "x-lgsp-replayed",
        ]
    )
    assert "x-lgsp-sender-system" not in headers


def test_absent_facts_are_left_out_and_read_as_absent() -> None:
    least = EnvelopeHeaders(sender="000.00.00.H41", created_at=NOW)
    headers = least.to_headers()
    assert not {"x-lgsp-system", "x-lgsp-deadline", "x-lgsp-blob", "x-lgsp-replayed"} & set(headers)
    assert EnvelopeHeaders.from_delivery(_delivery(headers)) == least


def test_bytes_headers_are_read_as_text() -> None:
    headers = FULL.to_headers()
    headers["x-lgsp-sender"] = b"000.00.00.H41"
    headers["x-lgsp-recipients"] = [b"000.00.12.H41"]
    read = EnvelopeHeaders.from_delivery(_delivery(headers))
    assert read == replace(FULL, recipients=("000.00.12.H41",))


@pytest.mark.parametrize(
    "broken",
    [
        {"x-lgsp-sender": None},
        {"x-lgsp-created-at": "yesterday"},
        {"x-lgsp-deadline": "soon"},
        {"x-lgsp-recipients": "000.00.12.H41"},
        {"x-lgsp-priority": "high"},
    ],
)
def test_an_unreadable_envelope_is_a_permanent_delivery_error(broken: dict[str, object]) -> None:
    headers = {**FULL.to_headers(), **broken}
    headers = {k: v for k, v in headers.items() if v is not None}
    with pytest.raises(PermanentDeliveryError, match="unreadable message on the bus"):
        EnvelopeHeaders.from_delivery(_delivery(headers))
