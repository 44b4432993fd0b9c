"""Helpers the civil-status adapter's tests share: the far sides (the Ministry and three agencies,
each its own simulator), bodies, hand-built deliveries, and a driver that plays the bus's part."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from lgsp.adapters import AdapterContext
from lgsp.adapters.civil_status import CivilStatusAdapter, MinistryClient
from lgsp.blobs import DirectoryBlobStore
from lgsp.bus import ATTEMPT_HEADER, Delivery, MemoryBus, Topology, attempt_of
from lgsp.bus.envelope import EnvelopeHeaders
from lgsp.errors import PermanentDeliveryError, RetryLater
from lgsp.ids import new_message_id
from lgsp.journal import Journal, MessageRecord, NewMessage
from lgsp.settings import Settings
from tests.support import make_settings, unique_prefix

UNIT = "000.00.00.H41"
"""The province's unit code at the Ministry (maDonVi)."""
OTHER_UNIT = "000.00.00.H14"
KEYS = {"civil_status": "key-moj-h41", "residence": "key-ct-h41"}
KEYS |= {"health_insurance": "key-bhyt-h41", "funeral_allowance": "key-mt-h41"}
SENDER = "000.00.21.H41"
REGISTRAR = "000.00.12.H41"
"""The commune that registers: the messages' recipient."""

MOTHER_ID = "054190012345"  # Phú Yên, 1 = woman born 1900–1999, '90
FATHER_ID = "054088001234"  # Phú Yên, 0 = man born 1900–1999, '88

BIRTH: dict[str, Any] = {
    "child": {
        "full_name": "Nguyễn Thị An",
        "sex": "female",
        "birth_date": "2026-03-10",
        "birth_place": {"province": "Phú Yên", "detail": "Bệnh viện Đa khoa tỉnh Phú Yên"},
        "ethnicity": "Kinh",
        "nationality": "Việt Nam",
    },
    "mother": {
        "full_name": "Trần Thị Bình",
        "birth_date": "1990-05-12",
        "residence": {
            "province": "Phú Yên",
            "district": "Thành phố Tuy Hòa",
            "commune": "Phường 1",
        },
        "id_document": {"type": "citizen_id_card", "number": MOTHER_ID},
        "personal_id": MOTHER_ID,
    },
    "father": {"full_name": "Nguyễn Văn Cường", "personal_id": FATHER_ID},
    "requester": {"full_name": "Nguyễn Văn Cường", "relationship": "cha"},
    "birth_notice": {"number": "GCS-2026-000123", "issued_on": "2026-03-11"},
    "registration_place": REGISTRAR,
    "registered_on": "2026-03-20",
    "copies": 2,
}
LTKS: dict[str, Any] = {**BIRTH, "registration_kind": "joined_ltks"}

NAMES = ("Nguyễn Thị An", "Trần Thị Bình", "Nguyễn Văn Cường", "Rơ Châm Blơng", "Rơ Châm H'Lan")
"""Every person named in the bodies: never in a log line."""


@dataclass
class FarSide:
    """The Ministry and the agencies, each a simulator on loopback, seen over HTTP."""

    http: httpx.AsyncClient
    urls: dict[str, str]

    def settings(self) -> dict[str, Any]:
        return {
            "civil_status_url": self.urls["civil_status"],
            "civil_status_unit": UNIT,
            "civil_status_api_key": KEYS["civil_status"],
            "residence_url": self.urls["residence"],
            "residence_api_key": KEYS["residence"],
            "health_insurance_url": self.urls["health_insurance"],
            "health_insurance_api_key": KEYS["health_insurance"],
            "funeral_allowance_url": self.urls["funeral_allowance"],
            "funeral_allowance_api_key": KEYS["funeral_allowance"],
        }

    async def switch(self, name: str, **changes: Any) -> None:
        response = await self.http.post(f"{self.urls[name]}/_simulator/config", json=changes)
        assert response.status_code == 200, response.text

    async def state(self, name: str) -> dict[str, Any]:
        answer: dict[str, Any] = (await self.http.get(f"{self.urls[name]}/_simulator/state")).json()
        return answer

    async def calls(self, name: str) -> int:
        """Calls of the simulator's services (switched ones included)."""
        return sum((await self.state(name))["calls"].values())

    async def register_calls(self) -> int:
        return int((await self.state("civil_status"))["calls"].get("/hotich/1.0/dangKyHoTich", 0))


@dataclass
class Driven:
    """How a message went when driven round after round, as the bus would have carried it."""

    outcome: str
    """``returned`` (the handler finished) or ``parked`` (a ``PermanentDeliveryError``)."""
    reason: str | None
    delays: list[float] = field(default_factory=list)
    retry_reasons: list[str] = field(default_factory=list)
    last: Delivery | None = None


Between = Callable[[int], Awaitable[None]]


async def drive(
    adapter: CivilStatusAdapter,
    delivery: Delivery,
    *,
    between: Between | None = None,
    rounds: int = 40,
) -> Driven:
    """Handle ``delivery`` until it settles; after each ``RetryLater`` hand it back after its
    delay with its attempt header one higher (as the bus's delay queues do), calling
    ``between(round)`` first."""
    driven = Driven("running", None)
    for number in range(rounds):
        driven.last = delivery
        try:
            await adapter.handle(delivery)
        except RetryLater as exc:
            driven.delays.append(exc.delay)
            driven.retry_reasons.append(exc.reason)
            await asyncio.sleep(exc.delay)
            if between is not None:
                await between(number)
            headers = {**delivery.headers, ATTEMPT_HEADER: attempt_of(delivery) + 1}
            delivery = replace(delivery, headers=headers)
            continue
        except PermanentDeliveryError as exc:
            driven.outcome, driven.reason = "parked", exc.reason
            return driven
        driven.outcome = "returned"
        return driven
    raise AssertionError(f"not settled after {rounds} rounds")


@dataclass
class Harness:
    """The adapter's surroundings: one journal and HTTP client, settings pointed at the far side."""

    journal: Journal
    http: httpx.AsyncClient
    far: FarSide
    tmp: Path

    def settings(self, **overrides: Any) -> Settings:
        values = {
            "bus": "memory",
            "db_url": "sqlite:///unused.db",
            "civil_status_poll_interval": 0.01,
            **self.far.settings(),
            **overrides,
        }
        return make_settings(**values)

    def context(self, **overrides: Any) -> AdapterContext:
        return AdapterContext(
            self.settings(**overrides),
            MemoryBus(Topology(prefix=unique_prefix())),
            self.journal,
            self.http,
            DirectoryBlobStore(self.tmp / "blobs"),
        )

    def adapter(
        self, *, ministry: MinistryClient | None = None, **overrides: Any
    ) -> CivilStatusAdapter:
        return CivilStatusAdapter(self.context(**overrides), ministry=ministry)

    async def accept(
        self,
        message_type: str,
        body: dict[str, Any],
        *,
        message_id: str | None = None,
        created_at: datetime | None = None,
        deadline: datetime | None = None,
        record: bool = True,
    ) -> Delivery:
        """What the gateway does: journal the message (unless ``record`` is false) and hand
        over the delivery the bus would carry."""
        message_id = message_id or new_message_id()
        created = created_at or datetime.now(UTC)
        payload = json.dumps(
            {"type": message_type, "recipients": [REGISTRAR], "body": body}, ensure_ascii=False
        ).encode()
        if record:
            await self.journal.accept(
                NewMessage(
                    id=message_id,
                    type=message_type,
                    sender=SENDER,
                    sender_system="hotich-a",
                    recipients=(REGISTRAR,),
                    created_at=created,
                    payload=payload,
                    deadline=deadline,
                )
            )
        headers = EnvelopeHeaders(sender=SENDER, created_at=created, deadline=deadline).to_headers()
        return Delivery(
            message_id=message_id,
            routing_key=message_type,
            body=payload,
            type=message_type,
            headers=headers,
            correlation_id=None,
            content_type="application/json",
            redelivered=False,
            delivery_count=0,
        )

    async def record(self, message_id: str) -> MessageRecord:
        found = await self.journal.get(message_id)
        assert found is not None
        return found


def statuses(record: MessageRecord) -> list[str]:
    return [e.status for e in record.events]


def leg_states(record: MessageRecord, leg: str) -> list[str]:
    return [
        str(e.detail["state"])
        for e in record.events
        if e.status == "leg" and e.detail and e.detail.get("leg") == leg
    ]


def last_leg(record: MessageRecord, leg: str) -> dict[str, Any]:
    """The leg's details gathered over its events, the last word winning."""
    gathered: dict[str, Any] = {}
    for e in record.events:
        if e.status == "leg" and e.detail and e.detail.get("leg") == leg:
            result = {**gathered.get("result", {}), **e.detail.get("result", {})}
            gathered.update(e.detail, result=result)
    return gathered


def dead_detail(record: MessageRecord) -> dict[str, Any]:
    [dead] = [e for e in record.events if e.status == "dead"]
    assert dead.detail is not None
    return dead.detail
