"""The joined procedures: LTKS (birth + permanent residence + health insurance card) and LTKT
(death + residence removal + funeral allowance), each agency its own simulator. A failed leg retries
alone; legs done are never called again; the request is done when every leg is."""

from __future__ import annotations

import re

from lgsp.adapters.civil_status import dossier_code
from lgsp.journal import Event
from lgsp.simulators.agency_state import FUNERAL_ALLOWANCE_VND
from tests.adapters.civil_status.civil_status_support import (
    LTKS,
    Harness,
    dead_detail,
    drive,
    last_leg,
    leg_states,
    statuses,
)
from tests.adapters.civil_status.conftest import Chosen
from tests.schemas.civil_national_samples import DEATH_LTKT, DECEASED_ID


async def test_ltks_registers_the_child_everywhere(harness: Harness) -> None:
    delivery = await harness.accept("civil_status.birth", LTKS)
    driven = await drive(harness.adapter(), delivery)

    assert driven.outcome == "returned"
    record = await harness.record(delivery.message_id)
    assert record.status == "done"
    for leg in ("civil_status", "residence", "health_insurance"):
        assert leg_states(record, leg)[0] == "pending"
        assert leg_states(record, leg)[-1] == "done"
    child_id = last_leg(record, "civil_status")["result"]["personal_id"]
    residence = last_leg(record, "residence")["result"]
    assert residence["dossier_code"] == f"{dossier_code(delivery.message_id)}-CT"
    assert re.fullmatch(r"CT0542026\d{6}", residence["residence_record_number"])
    card = last_leg(record, "health_insurance")["result"]
    assert card["card_number"] == f"TE154{child_id[-10:]}"
    assert card["valid_until"] == "2032-03-09"  # the day before the sixth birthday
    # The other legs started only once the Ministry had registered the child.
    order = [
        (e.detail or {}).get("leg")
        for e in record.events
        if e.status == "leg" and (e.detail or {}).get("state") != "pending"
    ]
    assert order[0] == "civil_status"
    for name in ("civil_status", "residence", "health_insurance"):
        assert await harness.far.calls(name) >= 1
    assert await harness.far.calls("residence") == 1
    assert await harness.far.calls("health_insurance") == 1


async def test_ltks_with_health_insurance_down_retries_that_leg_alone(harness: Harness) -> None:
    await harness.far.switch("health_insurance", down=True)

    async def recover(round_number: int) -> None:
        # Back after two failed calls; meanwhile the Ministry's status is followed.
        if await harness.far.calls("health_insurance") == 2:
            await harness.far.switch("health_insurance", down=False)

    delivery = await harness.accept("civil_status.birth", LTKS)
    driven = await drive(harness.adapter(), delivery, between=recover)

    assert driven.outcome == "returned"
    record = await harness.record(delivery.message_id)
    assert record.status == "done"
    assert leg_states(record, "health_insurance") == ["pending", "failed", "failed", "done"]
    assert leg_states(record, "residence") == ["pending", "done"]
    assert await harness.far.register_calls() == 1
    assert await harness.far.calls("residence") == 1
    assert await harness.far.calls("health_insurance") == 3
    retrying = [e for e in record.events if e.status == "retrying"]
    assert len(retrying) == 2
    assert all(e.detail and e.detail["legs"] == ["health_insurance"] for e in retrying)
    # The status was checked between the card's retries, without calling for the card.
    assert "health_insurance waiting to be retried" in driven.retry_reasons
    # delivered once registered, retrying while the card failed, done at the end.
    assert "delivered" in statuses(record)
    assert statuses(record)[-1] == "done"


async def test_ltkt_removes_the_residence_and_pays_the_allowance(harness: Harness) -> None:
    delivery = await harness.accept("civil_status.death", DEATH_LTKT)
    driven = await drive(harness.adapter(), delivery)

    assert driven.outcome == "returned"
    record = await harness.record(delivery.message_id)
    assert record.status == "done"
    removal = last_leg(record, "residence")["result"]
    assert removal["residence_record_number"].startswith("XCT054")
    allowance = last_leg(record, "funeral_allowance")["result"]
    assert allowance["amount_vnd"] == FUNERAL_ALLOWANCE_VND
    assert allowance["decision_number"].endswith("/QĐ-BHXH")
    # The residence registry was sent the deceased's personal ID and the death's registration.
    [removed] = (await harness.far.state("residence"))["records"]
    assert removed["maHoSo"] == f"{dossier_code(delivery.message_id)}-XCT"
    assert DECEASED_ID not in str(removed)  # the state shows no personal data


async def test_ltkt_with_the_funeral_allowance_failing_then_recovering(harness: Harness) -> None:
    await harness.far.switch("funeral_allowance", error_rate=1.0)

    async def recover(round_number: int) -> None:
        if await harness.far.calls("funeral_allowance") == 2:
            await harness.far.switch("funeral_allowance", error_rate=0.0)

    delivery = await harness.accept("civil_status.death", DEATH_LTKT)
    driven = await drive(harness.adapter(), delivery, between=recover)

    assert driven.outcome == "returned"
    record = await harness.record(delivery.message_id)
    assert record.status == "done"
    assert leg_states(record, "funeral_allowance") == ["pending", "failed", "failed", "done"]
    assert "code 999" in str(last_leg(record, "funeral_allowance"))
    assert await harness.far.calls("residence") == 1
    assert await harness.far.register_calls() == 1


async def test_a_refused_allowance_parks_the_request_and_a_replay_retries_it_alone(
    harness: Harness, chosen: Chosen
) -> None:
    delivery = await harness.accept(
        "civil_status.death", DEATH_LTKT, message_id=chosen.refused_allowance
    )
    driven = await drive(harness.adapter(), delivery)

    assert driven.outcome == "parked"
    record = await harness.record(delivery.message_id)
    assert record.status == "dead"
    detail = dead_detail(record)
    assert detail["leg"] == "funeral_allowance"
    assert detail["code"] == 500
    assert "không đủ điều kiện" in detail["reason"]
    assert detail["legs"]["residence"] == "done"
    assert leg_states(record, "residence") == ["pending", "done"]

    # An operator replays it: only the refused leg is tried again (and refused again here).
    replay = Event("replayed", record.updated_at, detail={"operator": "ops"})
    assert await harness.journal.transition(delivery.message_id, from_status="dead", event=replay)
    calls = {name: await harness.far.calls(name) for name in ("civil_status", "residence")}
    again = await drive(harness.adapter(), delivery)
    assert again.outcome == "parked"
    assert await harness.far.calls("funeral_allowance") == 2
    assert await harness.far.calls("residence") == calls["residence"]
    register_calls = (await harness.far.state("civil_status"))["calls"]
    assert register_calls.get("/hotich/1.0/dangKyHoTich") == 1


async def test_a_wrong_agency_url_is_fixed_by_the_operator_and_replayed(harness: Harness) -> None:
    good = harness.far.urls["funeral_allowance"]
    delivery = await harness.accept("civil_status.death", DEATH_LTKT)
    driven = await drive(harness.adapter(funeral_allowance_url=f"{good}/wrong"), delivery)
    assert driven.outcome == "parked"
    assert "HTTP 404" in (driven.reason or "")

    record = await harness.record(delivery.message_id)
    replay = Event("replayed", record.updated_at, detail={"operator": "ops"})
    assert await harness.journal.transition(delivery.message_id, from_status="dead", event=replay)
    again = await drive(harness.adapter(), delivery)

    assert again.outcome == "returned"
    record = await harness.record(delivery.message_id)
    assert record.status == "done"
    assert leg_states(record, "funeral_allowance")[-2:] == ["refused", "done"]
    assert await harness.far.calls("residence") == 1
    assert await harness.far.register_calls() == 1


async def test_a_leg_without_its_url_parks_before_anyone_is_called(harness: Harness) -> None:
    delivery = await harness.accept("civil_status.birth", LTKS)
    driven = await drive(harness.adapter(health_insurance_url=""), delivery)
    assert driven.outcome == "parked"
    assert "LGSP_HEALTH_INSURANCE_URL" in (driven.reason or "")
    record = await harness.record(delivery.message_id)
    assert dead_detail(record)["leg"] == "health_insurance"
    for name in ("civil_status", "residence", "health_insurance"):
        assert await harness.far.calls(name) == 0
