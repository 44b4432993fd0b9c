"""POST /v1/requests: lookups answered synchronously by an axis's adapter, over HTTP.

A small test adapter (an ``Answerer``) answers the national and civil-status axes from a table,
reading each request as real adapters do (``read_envelope``); the platform runs on the embedded bus
and on RabbitMQ.
"""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from structlog.testing import capture_logs

from lgsp.adapters.base import Answerer, read_envelope
from lgsp.bus import Delivery, Reply, ReplyOutcome
from lgsp.client import ApiError, Client
from lgsp.schemas import CatalogLookup, CitizenLookup, CivilStatusLookup, Envelope
from tests.gateway.test_messages import DOCUMENT
from tests.support import RECIPIENT, Platform, PlatformFactory

KNOWN = "001099012345"  # Hà Nội, 0 = man born 1900–1999, '99
UNKNOWN = "079301000042"  # TP Hồ Chí Minh, 3 = woman born 2000–2099, '01
LOOKER = "000.00.14.H41"
LOOKUPS = ("national.citizen_lookup", "national.catalog_lookup", "civil_status.lookup")
CITIZEN = {"personal_id": KNOWN, "full_name": "Nguyễn Văn An", "birth_date": "1999-03-02"}


class TableAnswerer:
    """Answers one axis's lookups from a table; ``delay`` and ``failing`` play the far side."""

    def __init__(self, axis: str) -> None:
        self.axis = axis
        self.seen: list[Envelope] = []
        self.headers: list[Mapping[str, Any]] = []
        self.delay = 0.0
        self.failing = False

    async def answer(self, delivery: Delivery) -> Reply:
        envelope = read_envelope(delivery)
        self.seen.append(envelope)
        self.headers.append(delivery.headers)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.failing:
            return Reply(ReplyOutcome.FAILED, detail="the national platform answered 503")
        body = envelope.body
        if isinstance(body, CitizenLookup | CivilStatusLookup) and body.personal_id == KNOWN:
            return Reply(ReplyOutcome.FOUND, CITIZEN)
        if isinstance(body, CatalogLookup) and body.item_code == "01":
            return Reply(ReplyOutcome.FOUND, {"code": "01", "name": "Kinh"})
        return Reply(ReplyOutcome.NOT_FOUND)


class Answerers:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.national = TableAnswerer("national")
        self.civil_status = TableAnswerer("civil_status")

    async def start(self) -> None:
        for answerer in (self.national, self.civil_status):
            assert isinstance(answerer, Answerer)
            await self.platform.services.bus.serve_requests(answerer.axis, answerer.answer)


async def build(
    request: pytest.FixtureRequest, factory: PlatformFactory, kind: str, **overrides: Any
) -> tuple[Platform, Answerers]:
    broker_url = request.getfixturevalue("rabbit_url") if kind == "rabbitmq" else ""
    db_url: str = request.getfixturevalue("sqlite_url")
    platform = await factory(bus=kind, db_url=db_url, broker_url=broker_url, **overrides)
    await platform.add_system("hcc-lookup", LOOKER, may_send=[*LOOKUPS, "document.send"])
    answerers = Answerers(platform)
    await answerers.start()
    return platform, answerers


BUSES = ["memory", pytest.param("rabbitmq", marks=pytest.mark.integration)]


@pytest.fixture(params=BUSES)
def kind(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


@pytest.fixture
async def served(
    request: pytest.FixtureRequest, platform_factory: PlatformFactory, kind: str
) -> tuple[Platform, Answerers]:
    return await build(request, platform_factory, kind)


def citizen(personal_id: str = KNOWN, **overrides: Any) -> dict[str, Any]:
    return {"type": "national.citizen_lookup", "body": {"personal_id": personal_id}, **overrides}


def in_seconds(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


async def ask(platform: Platform, payload: Any, system: str = "hcc-lookup") -> Any:
    response = await platform.client.post(
        "/v1/requests", json=payload, headers=platform.auth(system)
    )
    return response, await response.json()


# --------------------------------------------------------------------------------------------
# Answers
# --------------------------------------------------------------------------------------------


async def test_a_found_lookup_answers_200_with_the_answer(
    served: tuple[Platform, Answerers],
) -> None:
    platform, answerers = served

    response, data = await ask(platform, citizen())

    assert response.status == 200, data
    assert response.content_type == "application/json"
    assert data["type"] == "national.citizen_lookup"
    assert data["found"] is True
    assert data["answer"] == CITIZEN
    # The adapter reads the request as it reads any message: the sender from the credentials.
    envelope = answerers.national.seen[0]
    assert envelope.id == data["id"]
    assert envelope.sender == LOOKER
    assert envelope.recipients == ()
    assert envelope.deadline is not None
    assert envelope.deadline > datetime.now(UTC)
    assert answerers.national.headers[0]["x-lgsp-system"] == "hcc-lookup"
    # Lookups are not journaled.
    assert await platform.services.journal.get(data["id"]) is None
    assert platform.services.bus.pending_requests == 0  # type: ignore[attr-defined]


async def test_a_lookup_with_no_record_answers_200_not_found(
    served: tuple[Platform, Answerers],
) -> None:
    platform, _ = served

    response, data = await ask(platform, citizen(UNKNOWN))

    assert response.status == 200, data
    assert data["found"] is False
    assert data["answer"] is None


async def test_each_lookup_type_goes_to_its_axis(served: tuple[Platform, Answerers]) -> None:
    platform, answerers = served

    record, record_data = await ask(
        platform,
        {"type": "civil_status.lookup", "body": {"record_kind": "birth", "personal_id": KNOWN}},
    )
    catalog, catalog_data = await ask(
        platform,
        {
            "type": "national.catalog_lookup",
            "body": {"catalog": "dmdc", "list_code": "DanToc", "item_code": "01"},
        },
    )

    assert (record.status, record_data["found"]) == (200, True)
    assert (catalog.status, catalog_data["answer"]) == (200, {"code": "01", "name": "Kinh"})
    assert [e.type for e in answerers.civil_status.seen] == ["civil_status.lookup"]
    assert [e.type for e in answerers.national.seen] == ["national.catalog_lookup"]


async def test_a_far_side_failure_is_502_with_its_detail(
    served: tuple[Platform, Answerers],
) -> None:
    platform, answerers = served
    answerers.national.failing = True

    response, problem = await ask(platform, citizen())

    assert response.status == 502
    assert response.content_type == "application/problem+json"
    assert problem["status"] == 502
    assert problem["detail"] == "the national platform answered 503"


async def test_an_answer_slower_than_the_deadline_is_504(
    served: tuple[Platform, Answerers],
) -> None:
    platform, answerers = served
    answerers.national.delay = 3.0

    started = time.monotonic()
    response, problem = await ask(platform, citizen(deadline=in_seconds(0.4)))

    assert response.status == 504
    assert response.content_type == "application/problem+json"
    assert problem["status"] == 504
    assert 0.3 <= time.monotonic() - started < 2.5
    assert platform.services.bus.pending_requests == 0  # type: ignore[attr-defined]


async def test_a_caller_deadline_is_bounded_by_the_max_timeout(
    request: pytest.FixtureRequest, platform_factory: PlatformFactory, kind: str
) -> None:
    platform, answerers = await build(
        request, platform_factory, kind, request_max_timeout=0.3, request_timeout=0.2
    )
    answerers.national.delay = 5.0

    started = time.monotonic()
    late, _ = await ask(platform, citizen(deadline=in_seconds(3600)))
    bounded = time.monotonic() - started
    started = time.monotonic()
    unset, _ = await ask(platform, citizen())
    default = time.monotonic() - started

    assert late.status == 504
    assert 0.3 <= bounded < 2.5
    # The adapter is told the deadline the gateway waits for, not the caller's hour.
    deadline = answerers.national.seen[0].deadline
    assert deadline is not None
    assert deadline < datetime.now(UTC) + timedelta(seconds=1)
    assert unset.status == 504
    assert 0.2 <= default < 2.5


async def test_one_log_line_per_lookup_without_the_body(
    served: tuple[Platform, Answerers],
) -> None:
    platform, _ = served

    with capture_logs() as logs:
        _, data = await ask(platform, citizen())

    lines = [e for e in logs if e["event"] == "lookup"]
    assert len(lines) == 1
    assert lines[0]["message_id"] == data["id"]
    assert lines[0]["type"] == "national.citizen_lookup"
    assert lines[0]["outcome"] == "found"
    assert "duration_ms" in lines[0]
    assert KNOWN not in json.dumps(logs, default=str)


# --------------------------------------------------------------------------------------------
# Refusals
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param({"type": "document.send", "body": DOCUMENT}, id="no-recipients"),
        pytest.param(
            {"type": "document.send", "recipients": [RECIPIENT], "body": DOCUMENT}, id="whole"
        ),
    ],
)
async def test_a_message_type_is_422_naming_type(
    served: tuple[Platform, Answerers], payload: dict[str, Any]
) -> None:
    platform, answerers = served

    response, problem = await ask(platform, payload)

    assert response.status == 422
    assert response.content_type == "application/problem+json"
    assert [e["loc"] for e in problem["errors"]] == [["type"]]
    assert "/v1/messages" in problem["detail"]
    assert not answerers.national.seen


async def test_a_past_deadline_is_422(served: tuple[Platform, Answerers]) -> None:
    platform, answerers = served

    response, problem = await ask(platform, citizen(deadline=in_seconds(-5)))

    assert response.status == 422
    assert [e["loc"] for e in problem["errors"]] == [["deadline"]]
    assert not answerers.national.seen


@pytest.mark.parametrize(
    ("payload", "loc"),
    [
        pytest.param(citizen("12345"), ["body", "personal_id"], id="short-personal-id"),
        pytest.param(citizen("00109901234x"), ["body", "personal_id"], id="not-digits"),
        pytest.param(
            {"type": "civil_status.lookup", "body": {"personal_id": KNOWN}},
            ["body", "record_kind"],
            id="civil-status-without-kind",
        ),
        pytest.param(citizen(color="red"), ["color"], id="unknown-field"),
        pytest.param(citizen(recipients=[RECIPIENT]), ["recipients"], id="recipients"),
        pytest.param({"type": "national.nothing", "body": {}}, ["type"], id="unknown-type"),
    ],
)
async def test_an_invalid_lookup_is_422_naming_the_field(
    served: tuple[Platform, Answerers], payload: dict[str, Any], loc: list[str]
) -> None:
    platform, answerers = served

    response, problem = await ask(platform, payload)

    assert response.status == 422, problem
    assert loc in [e["loc"] for e in problem["errors"]]
    assert not answerers.national.seen


async def test_a_lookup_the_system_may_not_make_is_403(
    served: tuple[Platform, Answerers],
) -> None:
    platform, answerers = served

    # qlvb-a may send documents, not lookups: not even told what is wrong with the body.
    allowed, _ = await ask(platform, citizen(), system="qlvb-a")
    invalid, _ = await ask(platform, citizen("12345"), system="qlvb-a")

    assert (allowed.status, invalid.status) == (403, 403)
    assert not answerers.national.seen


async def test_without_a_key_is_401(served: tuple[Platform, Answerers]) -> None:
    platform, _ = served

    response = await platform.client.post("/v1/requests", json=citizen())

    assert response.status == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_malformed_and_mistyped_bodies(served: tuple[Platform, Answerers]) -> None:
    platform, _ = served
    auth = platform.auth("hcc-lookup")

    malformed = await platform.client.post(
        "/v1/requests", data=b"{not json", headers={**auth, "Content-Type": "application/json"}
    )
    xml = await platform.client.post(
        "/v1/requests", data=b"<a/>", headers={**auth, "Content-Type": "application/xml"}
    )
    huge = await platform.client.post(
        "/v1/requests",
        data=io.BytesIO(b" " * (platform.settings.max_body_bytes + 1)),
        headers={**auth, "Content-Type": "application/json"},
    )

    assert (malformed.status, xml.status, huge.status) == (400, 415, 413)


async def test_with_the_broker_down_a_lookup_is_503(
    request: pytest.FixtureRequest, platform_factory: PlatformFactory
) -> None:
    platform, _ = await build(request, platform_factory, "memory")
    platform.services.bus.available = False  # type: ignore[attr-defined]

    response, problem = await ask(platform, citizen())

    assert response.status == 503
    assert problem["status"] == 503
    assert response.headers["Retry-After"]


# --------------------------------------------------------------------------------------------
# The vendor SDK
# --------------------------------------------------------------------------------------------


async def test_the_client_asks_and_reads_the_answer(served: tuple[Platform, Answerers]) -> None:
    platform, answerers = served
    base_url = str(platform.client.make_url("/"))

    async with Client(base_url, api_key=platform.keys["hcc-lookup"]) as lgsp:
        found = await lgsp.request("national.citizen_lookup", {"personal_id": KNOWN})
        missing = await lgsp.request(
            "national.citizen_lookup",
            {"personal_id": UNKNOWN},
            deadline=datetime.now(UTC) + timedelta(seconds=5),
        )
        answerers.national.delay = 3.0
        with pytest.raises(ApiError) as timed_out:
            await lgsp.request(
                "national.citizen_lookup",
                {"personal_id": KNOWN},
                deadline=datetime.now(UTC) + timedelta(seconds=0.3),
            )

    assert (found.found, found.answer, found.type) == (True, CITIZEN, "national.citizen_lookup")
    assert (missing.found, missing.answer) == (False, None)
    assert timed_out.value.status == 504
