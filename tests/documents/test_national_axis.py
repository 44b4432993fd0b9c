"""The national document axis: two provinces, each its own lgsp, joined by the axis simulator.

A document goes from a system in Nghệ An (H41) through its LGSP, out to the axis, into Cao Bằng's
(H14) LGSP, to a JSON system and an edXML system there; their status packages travel back the same
way onto the original document. Polling survives a crash without fetching a package twice.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from lgsp.adapters.vdxp.bridge import NationalInbox
from lgsp.adapters.vdxp.client import VdxpClient
from lgsp.bus import MemoryBus, Topology
from lgsp.errors import TransientDeliveryError
from lgsp.intake import Acceptor
from lgsp.journal import Journal
from lgsp.registry import register_system
from lgsp.schemas import DocumentStatus
from lgsp.schemas.edxml import EdxmlDocument, Organization, parse, status_from_json, write
from lgsp.simulators.vdxp import run_vdxp_simulator
from lgsp.simulators.vdxp_state import VdxpConfig, VdxpSystem
from tests.support import SENDER, Platform, PlatformFactory

NGHE_AN = ("000.00.00.H41", "000.00.12.H41", "000.00.20.H41")
CAO_BANG = ("000.00.00.H14", "000.00.05.H14")
DOCUMENT_TYPES = ["document.send", "document.status", "document.revoke"]


@pytest.fixture
async def axis() -> AsyncIterator[str]:
    config = VdxpConfig(
        systems={
            "lgsp-h41": VdxpSystem(secret="secret-h41", agencies=NGHE_AN),
            "lgsp-h14": VdxpSystem(secret="secret-h14", agencies=CAO_BANG),
            "vpcp": VdxpSystem(secret="secret-g22", agencies=("000.00.00.G22",)),
        }
    )
    async with run_vdxp_simulator(config) as url:
        yield url


def province(axis: str, system_id: str, secret: str) -> dict[str, Any]:
    return {
        "national_document_url": axis,
        "national_document_system_id": system_id,
        "national_document_secret": secret,
        "national_poll_interval": 0.1,
    }


@pytest.fixture(params=["memory", pytest.param("rabbitmq", marks=pytest.mark.integration)])
async def provinces(
    request: pytest.FixtureRequest, platform_factory: PlatformFactory, axis: str, tmp_path: Path
) -> tuple[Platform, Platform]:
    broker_url = request.getfixturevalue("rabbit_url") if request.param == "rabbitmq" else ""
    nghe_an = await platform_factory(
        bus=request.param,
        broker_url=broker_url,
        db_url=f"sqlite:///{tmp_path / 'h41.db'}",
        **province(axis, "lgsp-h41", "secret-h41"),
    )
    cao_bang = await platform_factory(
        bus=request.param,
        broker_url=broker_url,
        db_url=f"sqlite:///{tmp_path / 'h14.db'}",
        with_systems=False,
        **province(axis, "lgsp-h14", "secret-h14"),
    )
    await cao_bang.add_system("cb-ubnd", CAO_BANG[0], may_send=DOCUMENT_TYPES)
    await cao_bang.add_system("cb-so", CAO_BANG[1], may_send=DOCUMENT_TYPES, format="edxml")
    return nghe_an, cao_bang


DOCUMENT = {
    "code": {"number": "88", "notation": "UBND-KGVX"},
    "promulgation": {"place": "Nghệ An", "date": "2026-11-20"},
    "subject": "V/v phối hợp liên thông văn bản giữa hai tỉnh",
    "attachments": [
        {
            "content_id": "cid:1",
            "name": "cv88.pdf",
            "content_type": "application/pdf",
            "data": base64.b64encode(b"%PDF-1.4 cv88").decode(),
        }
    ],
}
DOCUMENT_ID = f"{SENDER},2026/11/20,88/UBND-KGVX"


async def test_a_document_crosses_the_national_axis_and_its_statuses_come_back(
    provinces: tuple[Platform, Platform],
) -> None:
    nghe_an, cao_bang = provinces
    receiver = nghe_an.receiver
    sent = await nghe_an.client.post(
        "/v1/messages",
        headers=nghe_an.auth("qlvb-a"),
        json={"type": "document.send", "recipients": list(CAO_BANG), "body": DOCUMENT},
    )
    assert sent.status == 202
    document = (await sent.json())["id"]
    record = await nghe_an.wait_status(document, "delivered")
    via = [e.detail for e in record.events if e.status == "delivered" and e.recipient]
    assert all(d and d["via"] == "national document axis" for d in via)

    # Cao Bằng's LGSP polls the axis and delivers to both of its systems, each in its format.
    await receiver.wait_for(2, timeout=20)
    calls = {c[0]: c for c in receiver.calls}
    as_json = json.loads(calls["cb-ubnd"][2])
    assert as_json["sender"] == SENDER
    assert as_json["body"]["subject"] == DOCUMENT["subject"]
    package = parse(calls["cb-so"][2])
    assert isinstance(package, EdxmlDocument)
    assert package.from_.organ_id == SENDER
    assert base64.b64decode(package.attachments[0].data) == b"%PDF-1.4 cv88"

    # Their statuses go back: one in JSON, one in edXML.
    response_for = {
        "organ_id": SENDER,
        "code": "88/UBND-KGVX",
        "promulgation_date": "2026-11-20",
        "document_id": DOCUMENT_ID,
    }
    status = {
        "response_for": response_for,
        "status_code": "03",
        "timestamp": "2026-11-21T08:00:00+07:00",
        "staff": {"department": "Văn thư", "staff": "Hoàng Văn Nam"},
    }
    back = await cao_bang.client.post(
        "/v1/messages",
        headers=cao_bang.auth("cb-ubnd"),
        json={"type": "document.status", "recipients": [SENDER], "body": status},
    )
    assert back.status == 202
    edxml_status = status_from_json(
        DocumentStatus.model_validate({**status, "status_code": "05"}),
        sender=Organization(organ_id=CAO_BANG[1]),
    )
    back = await cao_bang.client.post(
        "/v1/documents",
        data=write(edxml_status),
        headers={**cao_bang.auth("cb-so"), "Content-Type": "application/xml"},
    )
    assert back.status == 202, await back.text()

    async with asyncio.timeout(20):
        while True:
            record = await nghe_an.services.journal.get(document)
            assert record is not None
            codes = {(e.recipient, e.status) for e in record.events}
            if {(CAO_BANG[0], "03"), (CAO_BANG[1], "05")} <= codes:
                break
            await asyncio.sleep(0.05)
    staff = next(e.detail for e in record.events if e.status == "03")
    assert staff is not None
    assert staff["staff"]["staff"] == "Hoàng Văn Nam"
    # ...and both statuses reached the sender's own system.
    await receiver.wait_for(4, timeout=20)
    to_sender = [json.loads(c[2]) for c in receiver.calls if c[0] == "qlvb-a"]
    assert sorted(s["body"]["status_code"] for s in to_sender) == ["03", "05"]


async def test_without_a_national_axis_an_outside_agency_is_parked_with_the_reason(
    platform_factory: PlatformFactory, sqlite_url: str
) -> None:
    alone = await platform_factory(bus="memory", db_url=sqlite_url)
    sent = await alone.client.post(
        "/v1/messages",
        headers=alone.auth("qlvb-a"),
        json={"type": "document.send", "recipients": [CAO_BANG[0]], "body": DOCUMENT},
    )
    record = await alone.wait_status((await sent.json())["id"], "dead")
    reason = next(e.detail for e in record.events if e.status == "dead")
    assert reason is not None
    assert "no national document axis is configured" in reason["reason"]


def status_for_nghe_an(code: str) -> bytes:
    """The Government Office reports on a document Nghệ An sent it."""
    status = DocumentStatus.model_validate(
        {
            "response_for": {
                "organ_id": SENDER,
                "code": "88/UBND-KGVX",
                "promulgation_date": "2026-11-20",
                "document_id": DOCUMENT_ID,
            },
            "status_code": code,
            "timestamp": "2026-11-21T08:00:00+07:00",
        }
    )
    return write(status_from_json(status, sender=Organization(organ_id="000.00.00.G22")))


class CountingClient(VdxpClient):
    """Counts fetches; its first report can be made to fail, as a crash would leave it."""

    def __init__(self, *args: Any, fail_first_report: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fetched: list[str] = []
        self._fail_report = fail_first_report

    async def get_edoc(self, doc_id: str) -> bytes:
        self.fetched.append(doc_id)
        return await super().get_edoc(doc_id)

    async def update_status(self, doc_id: str, status: Any) -> None:
        if self._fail_report:
            self._fail_report = False
            raise TransientDeliveryError("the process died before reporting")
        await super().update_status(doc_id, status)


async def test_polling_survives_a_crash_without_fetching_twice_or_skipping(
    axis: str, tmp_path: Path
) -> None:
    journal = await Journal.open(f"sqlite:///{tmp_path / 'inbox.db'}")
    bus = MemoryBus(Topology(prefix="inbox"))
    await bus.start()
    try:
        await register_system(journal.systems, system_id="vt", agency="000.00.00.H41")
        acceptor = Acceptor(bus, journal)
        async with httpx.AsyncClient() as http:
            sender = VdxpClient(http, axis, system_id="vpcp", secret="secret-g22", timeout=5)
            first = await sender.send_edoc(
                status_for_nghe_an("01"), sender="000.00.00.G22", service_type="status"
            )

            def client(**kwargs: Any) -> CountingClient:
                return CountingClient(
                    http, axis, system_id="lgsp-h41", secret="secret-h41", timeout=5, **kwargs
                )

            crashing = client(fail_first_report=True)
            with pytest.raises(TransientDeliveryError):
                await NationalInbox(
                    crashing, journal, acceptor, interval=1, max_bytes=10**7
                ).poll_once()
            assert crashing.fetched == [first]

            # Restarted: the package is still listed on the axis, but not fetched again.
            second = await sender.send_edoc(
                status_for_nghe_an("06"), sender="000.00.00.G22", service_type="status"
            )
            restarted = client()
            inbox = NationalInbox(restarted, journal, acceptor, interval=1, max_bytes=10**7)
            assert await inbox.poll_once() == 1
            assert restarted.fetched == [second]
            assert await inbox.poll_once() == 0
            assert await restarted.received("status") == []
        assert await journal.inbox_state(first) == "ingested"
        assert await journal.inbox_state(second) == "ingested"
        assert len(bus.messages("inbox.document")) == 2
    finally:
        await bus.close()
        await journal.close()
