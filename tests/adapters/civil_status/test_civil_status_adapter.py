"""The civil-status adapter on ordinary registrations: the Ministry registers, the adapter follows
the status to its end; failures are retried or parked as the Ministry's codes say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from structlog.testing import capture_logs

from lgsp.adapters.civil_status import MinistryClient, dossier_code
from lgsp.bus import ATTEMPT_HEADER
from lgsp.errors import RetryLater
from lgsp.schemas.civil_status import parse_personal_id
from tests.adapters.civil_status.civil_status_support import (
    BIRTH,
    NAMES,
    UNIT,
    Harness,
    dead_detail,
    drive,
    last_leg,
    leg_states,
    statuses,
)
from tests.adapters.civil_status.conftest import Chosen
from tests.schemas.civil_national_samples import DEATH, MARRIAGE


async def test_a_birth_is_registered_and_followed_to_done(harness_each_db: Harness) -> None:
    h = harness_each_db
    delivery = await h.accept("civil_status.birth", BIRTH)
    with capture_logs() as logs:
        driven = await drive(h.adapter(), delivery)

    assert driven.outcome == "returned"
    # Each round after the registration waited for the Ministry, poll_interval apart.
    assert driven.delays == [0.01, 0.01]
    record = await h.record(delivery.message_id)
    assert record.status == "done"
    assert [s for s in statuses(record) if s != "leg"] == [
        "accepted",
        "delivered",
        "ministry.received",
        "ministry.eligible",
        "ministry.done",
        "done",
    ]
    assert leg_states(record, "civil_status") == ["pending", "registered", "done"]
    result = last_leg(record, "civil_status")["result"]
    assert result["dossier_code"] == dossier_code(delivery.message_id)
    assert all(result[name] for name in ("registration_number", "book_number", "page_number"))
    # The child's new personal ID number: female, born in 2026, from Phú Yên's registry.
    assert parse_personal_id(result["personal_id"]).startswith("054326")
    assert await h.far.register_calls() == 1
    attempts = await h.journal.attempts(delivery.message_id)
    assert [(a.recipient, a.outcome) for a in attempts] == [("civil_status", "delivered")]
    # No person's name or number in any log line.
    text = repr(logs)
    assert not any(name in text for name in NAMES)
    assert result["personal_id"] not in text


async def test_death_and_marriage_go_to_their_modules(harness: Harness) -> None:
    for message_type, body, module in (
        ("civil_status.death", DEATH, "KT"),
        ("civil_status.marriage", MARRIAGE, "KH"),
    ):
        delivery = await harness.accept(message_type, body)
        assert (await drive(harness.adapter(), delivery)).outcome == "returned"
        record = await harness.record(delivery.message_id)
        assert record.status == "done"
        assert "personal_id" not in last_leg(record, "civil_status")["result"]
        records = (await harness.far.state("civil_status"))["records"]
        assert records[-1]["module"] == module


async def test_needs_more_papers_is_recorded_on_the_way(harness: Harness, chosen: Chosen) -> None:
    delivery = await harness.accept("civil_status.birth", BIRTH, message_id=chosen.papers)
    assert (await drive(harness.adapter(), delivery)).outcome == "returned"
    record = await harness.record(delivery.message_id)
    walk = [s for s in statuses(record) if s.startswith("ministry.")]
    assert walk == [
        "ministry.received",
        "ministry.needs_more_papers",
        "ministry.eligible",
        "ministry.done",
    ]
    assert record.status == "done"


async def test_the_ministry_ending_in_error_parks_the_message(
    harness: Harness, chosen: Chosen
) -> None:
    delivery = await harness.accept("civil_status.birth", BIRTH, message_id=chosen.failing)
    driven = await drive(harness.adapter(), delivery)
    assert driven.outcome == "parked"
    record = await harness.record(delivery.message_id)
    assert record.status == "dead"
    assert [s for s in statuses(record) if s.startswith("ministry.")] == [
        "ministry.received",
        "ministry.error",
    ]
    assert leg_states(record, "civil_status")[-1] == "refused"
    detail = dead_detail(record)
    assert detail["leg"] == "civil_status"
    assert "in error" in detail["reason"]
    assert driven.reason == detail["reason"]


def _ministry_answering(code: int, message: str) -> MinistryClient:
    """A Ministry that answers every call with ``code``."""

    def answer(request: httpx.Request) -> httpx.Response:
        body = {"status": "FAIL", "errorCode": code, "errorMessage": message, "data": None}
        return httpx.Response(200, json=body)

    http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    return MinistryClient(http, "http://moj.test", UNIT, "key")


@pytest.mark.parametrize(
    ("code", "meaning"),
    [
        (200, "incomplete"),
        (201, "not found"),
        (302, "bad data type"),
        (500, "bad data"),
        (106, "wrong agency"),
    ],
)
async def test_a_permanent_code_parks_with_the_ministrys_code_and_reason(
    harness: Harness, code: int, meaning: str
) -> None:
    adapter = harness.adapter(ministry=_ministry_answering(code, "thiếu trường nksQueQuan"))
    delivery = await harness.accept("civil_status.birth", BIRTH)
    driven = await drive(adapter, delivery)

    assert driven.outcome == "parked"
    assert driven.delays == []  # never retried
    record = await harness.record(delivery.message_id)
    assert record.status == "dead"
    detail = dead_detail(record)
    assert detail["code"] == code
    assert detail["leg"] == "civil_status"
    assert f"code {code} ({meaning}): thiếu trường nksQueQuan" in detail["reason"]
    assert driven.reason == detail["reason"]
    assert last_leg(record, "civil_status")["code"] == code


async def test_a_unit_the_key_does_not_belong_to_is_106_and_permanent(harness: Harness) -> None:
    delivery = await harness.accept("civil_status.birth", BIRTH)
    driven = await drive(harness.adapter(civil_status_unit="000.00.00.H14"), delivery)
    assert driven.outcome == "parked"
    assert "code 106 (wrong agency)" in (driven.reason or "")
    assert dead_detail(await harness.record(delivery.message_id))["code"] == 106


@pytest.mark.parametrize(
    "trouble",
    [{"error_rate": 1.0}, {"error_rate": 1.0, "error_kind": "http"}, {"down": True}],
    ids=["999", "503", "down"],
)
async def test_transient_failures_are_retried_until_the_ministry_answers(
    harness: Harness, trouble: dict[str, Any]
) -> None:
    await harness.far.switch("civil_status", **trouble)

    async def recover(round_number: int) -> None:
        if round_number == 1:
            await harness.far.switch("civil_status", error_rate=0.0, down=False)

    delivery = await harness.accept("civil_status.birth", BIRTH)
    driven = await drive(harness.adapter(), delivery, between=recover)

    assert driven.outcome == "returned"
    assert driven.delays[:2] == [pytest.approx(0.05, rel=0.25), pytest.approx(0.1, rel=0.25)]
    record = await harness.record(delivery.message_id)
    assert record.status == "done"
    assert statuses(record).count("retrying") == 2
    assert leg_states(record, "civil_status")[:4] == ["pending", "failed", "failed", "registered"]
    attempts = await harness.journal.attempts(delivery.message_id)
    assert [a.outcome for a in attempts] == ["failed", "failed", "delivered"]
    assert await harness.far.register_calls() == 3


async def test_a_wrong_api_key_is_the_platforms_to_fix_and_retried(harness: Harness) -> None:
    delivery = await harness.accept("civil_status.birth", BIRTH)
    with pytest.raises(RetryLater) as retry:
        await harness.adapter(civil_status_api_key="stale").handle(delivery)
    assert "code 100 (authentication failed)" in retry.value.reason
    # The operator puts the right key in and restarts the adapter: the retry passes.
    driven = await drive(harness.adapter(), delivery)
    assert driven.outcome == "returned"
    assert (await harness.record(delivery.message_id)).status == "done"


async def test_spent_attempts_park_the_message(harness: Harness) -> None:
    await harness.far.switch("civil_status", down=True)
    delivery = await harness.accept("civil_status.birth", BIRTH)
    driven = await drive(harness.adapter(), delivery)
    assert driven.outcome == "parked"
    assert (driven.reason or "").startswith("gave up after 4 attempts: civil_status: ")
    assert "HTTP 503" in (driven.reason or "")
    record = await harness.record(delivery.message_id)
    assert record.status == "dead"
    assert statuses(record).count("retrying") == 3


async def test_waiting_for_the_ministry_does_not_spend_the_retry_budget(
    harness: Harness, chosen: Chosen
) -> None:
    # One retry allowed; the dossier takes four status calls; a failure comes in between.
    async def trouble_once(round_number: int) -> None:
        if round_number == 1:
            await harness.far.switch("civil_status", error_rate=1.0)
        if round_number == 2:
            await harness.far.switch("civil_status", error_rate=0.0)

    delivery = await harness.accept("civil_status.birth", BIRTH, message_id=chosen.papers)
    driven = await drive(harness.adapter(retry_max_attempts=1), delivery, between=trouble_once)

    assert driven.outcome == "returned"
    assert driven.last is not None
    assert driven.last.headers[ATTEMPT_HEADER] > 1  # the bus counted every wait...
    record = await harness.record(delivery.message_id)
    assert record.status == "done"  # ...the adapter counted the one failure
    assert statuses(record).count("retrying") == 1


async def test_the_deadline_stops_retries_before_registration(harness: Harness) -> None:
    await harness.far.switch("civil_status", down=True)
    deadline = datetime.now(UTC) + timedelta(milliseconds=1)
    delivery = await harness.accept("civil_status.birth", BIRTH, deadline=deadline)
    driven = await drive(harness.adapter(), delivery)
    assert driven.outcome == "parked"
    assert (driven.reason or "").startswith("deadline ")


async def test_a_redelivery_after_done_calls_nobody(harness: Harness) -> None:
    delivery = await harness.accept("civil_status.birth", BIRTH)
    adapter = harness.adapter()
    await drive(adapter, delivery)
    calls = await harness.far.calls("civil_status")
    await adapter.handle(delivery)
    assert await harness.far.calls("civil_status") == calls


async def test_an_unaccepted_message_is_dropped(harness: Harness) -> None:
    long_ago = datetime.now(UTC) - timedelta(minutes=10)
    delivery = await harness.accept("civil_status.birth", BIRTH, created_at=long_ago, record=False)
    await harness.adapter().handle(delivery)
    assert await harness.far.calls("civil_status") == 0


async def test_no_civil_status_url_is_permanent_and_names_the_setting(harness: Harness) -> None:
    delivery = await harness.accept("civil_status.birth", BIRTH)
    driven = await drive(harness.adapter(civil_status_url=""), delivery)
    assert driven.outcome == "parked"
    assert "LGSP_CIVIL_STATUS_URL" in (driven.reason or "")
    assert await harness.far.calls("civil_status") == 0


def test_the_dossier_code_is_stable() -> None:
    # A resend after a lost answer carries the same maHoSo: the Ministry answers the first result.
    assert dossier_code("0190-abc") == dossier_code("0190-abc") == "LGSP-0190-abc"
