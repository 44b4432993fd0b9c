"""The national body ``DossierSync`` for the National Public Service Portal."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from lgsp.schemas import Channel, DossierStatus, DossierSync
from tests.schemas.civil_national_samples import DOSSIER, OWNER


def refused(body: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    with pytest.raises(ValidationError) as exc_info:
        DossierSync.model_validate(body)
    [error] = exc_info.value.errors()
    return error["type"], error["loc"]


def test_a_returned_dossier_validates() -> None:
    dossier = DossierSync.model_validate(DOSSIER)
    assert dossier.status is DossierStatus.RESULT_RETURNED
    assert dossier.channel is Channel.ONLINE
    assert len(dossier.steps) == 2


def test_an_open_dossier_needs_no_return_date() -> None:
    body = {k: v for k, v in DOSSIER.items() if k not in {"returned_at", "due_at", "steps"}}
    dossier = DossierSync.model_validate({**body, "status": 4})
    assert dossier.returned_at is None
    assert dossier.steps == ()


def test_json_round_trip() -> None:
    dossier = DossierSync.model_validate(DOSSIER)
    assert DossierSync.model_validate_json(dossier.model_dump_json()) == dossier


def test_the_status_names_are_the_portals() -> None:
    assert [(s.value, s.name) for s in DossierStatus] == [
        (1, "REGISTERED"),
        (2, "RECEIVED"),
        (3, "NOT_RECEIVED"),
        (4, "PROCESSING"),
        (5, "MORE_PAPERS_REQUESTED"),
        (6, "PAYMENT_REQUESTED"),
        (7, "WITHDRAWN"),
        (8, "STOPPED"),
        (9, "PROCESSED"),
        (10, "RESULT_RETURNED"),
    ]
    assert [int(c) for c in Channel] == [1, 2, 3]


def test_descriptions_keep_the_portal_names() -> None:
    fields = DossierSync.model_json_schema()["properties"]
    assert {name: fields[name]["description"] for name in ("dossier_code", "owner")} == {
        "dossier_code": "MaHoSo",
        "owner": "ChuHoSo",
    }
    assert fields["status"]["description"] == "TrangThaiHoSo"
    assert fields["returned_at"]["description"] == "NgayTra"


def test_the_owner_is_kept_out_of_repr() -> None:
    assert OWNER not in repr(DossierSync.model_validate(DOSSIER))


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"returned_at": None}, ("returned_at_missing", ("returned_at",))),
        (
            {"returned_at": "2026-03-10T08:14:59+07:00"},
            ("returned_before_received", ("returned_at",)),
        ),
        # Compared as instants: 01:14 UTC is 08:14 in Vietnam, a minute before receipt.
        ({"due_at": "2026-03-10T01:14:00Z"}, ("due_before_received", ("due_at",))),
        ({"received_at": "2026-03-10T08:15:00"}, ("timezone_aware", ("received_at",))),
        ({"status": 0}, ("enum", ("status",))),
        ({"status": 11}, ("enum", ("status",))),
        ({"channel": 4}, ("enum", ("channel",))),
        ({"dossier_code": ""}, ("string_too_short", ("dossier_code",))),
        ({"MaHoSo": "x"}, ("extra_forbidden", ("MaHoSo",))),
        ({"steps": [{"content": "x"}]}, ("missing", ("steps", 0, "handled_at"))),
    ],
)
def test_each_rule_is_reported_at_its_field(
    changes: dict[str, Any], expected: tuple[str, tuple[Any, ...]]
) -> None:
    body = {**DOSSIER, **changes}
    body = {k: v for k, v in body.items() if v is not None}
    assert refused(body) == expected


def test_return_on_the_instant_of_receipt_is_accepted() -> None:
    # 01:15 UTC is the receipt time, 08:15 in Vietnam.
    body = {**DOSSIER, "returned_at": "2026-03-10T01:15:00Z", "due_at": "2026-03-10T01:15:00Z"}
    dossier = DossierSync.model_validate(body)
    assert dossier.returned_at == dossier.received_at
