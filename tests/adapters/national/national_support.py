"""Helpers the national adapter's tests share: the simulator's data, a clock, hand-built
requests, and dossier bodies."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from lgsp.bus import Delivery
from lgsp.bus.envelope import EnvelopeHeaders
from lgsp.ids import new_message_id
from lgsp.simulators.national_platform_state import Citizen, NationalConfig

CLIENT, SECRET = "lgsp-h41", "s3cret-h41-never-logged"
PERSON = "054224000123"  # Phú Yên, 2 = woman born 2000–2099, '24
NAME = "Nguyễn Thị An"
STRANGER_ID = "001090000001"
SENDER = "000.00.00.H41"
PORTAL = "000.00.00.G22"
TOKEN_LIFETIME = 60.0

CONFIG = NationalConfig(
    clients={CLIENT: SECRET},
    token_lifetime=TOKEN_LIFETIME,
    citizens={PERSON: Citizen(NAME, "2024-03-05", "female", "Tuy Hòa, Phú Yên")},
    seed=7,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Simulator:
    """The national platform simulator, seen over HTTP as a test sees it."""

    url: str
    http: httpx.AsyncClient
    clock: FakeClock

    def settings(self) -> dict[str, Any]:
        return {
            "national_platform_url": self.url,
            "national_client_id": CLIENT,
            "national_client_secret": SECRET,
        }

    async def switch(self, **changes: Any) -> None:
        response = await self.http.post(f"{self.url}/_simulator/config", json=changes)
        assert response.status_code == 200, response.text

    async def state(self) -> dict[str, Any]:
        state: dict[str, Any] = (await self.http.get(f"{self.url}/_simulator/state")).json()
        return state

    async def tokens_issued(self) -> int:
        return int((await self.state())["tokens_issued"])

    async def history(self, dossier_code: str) -> list[int]:
        """The statuses the portal recorded for the dossier, in the order it received them."""
        return [entry["TrangThaiHoSo"] for entry in await self.entries(dossier_code)]

    async def entries(self, dossier_code: str) -> list[dict[str, Any]]:
        """What the portal recorded for the dossier (``LichSu``), oldest first."""
        token = await self.http.post(
            f"{self.url}/token", data={"grant_type": "client_credentials"}, auth=(CLIENT, SECRET)
        )
        response = await self.http.get(
            f"{self.url}/dvcqg/1.0/hoso/{dossier_code}",
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        )
        if response.status_code == 404:
            return []
        entries: list[dict[str, Any]] = response.json()["LichSu"]
        return entries


def request(message_type: str, body: Any, *, deadline: datetime | None = None) -> Delivery:
    """A lookup as the gateway puts it on the bus: the caller's bytes plus its headers."""
    envelope = EnvelopeHeaders(sender=SENDER, created_at=datetime.now(UTC), deadline=deadline)
    headers = envelope.to_headers()
    return Delivery(
        message_id=new_message_id(),
        routing_key=message_type,
        body=json.dumps({"type": message_type, "body": body}).encode(),
        type=message_type,
        headers=headers,
        correlation_id=None,
        content_type="application/json",
        redelivered=False,
        delivery_count=0,
    )


def dossier(status: int, code: str = "000.00.21.H41-261123-0001", **extra: Any) -> dict[str, Any]:
    """A ``DossierSync`` body at ``status``."""
    received = datetime(2026, 11, 23, 8, 15, tzinfo=UTC) + timedelta(hours=-7)
    body: dict[str, Any] = {
        "dossier_code": code,
        "procedure_code": "1.001193",
        "procedure_name": "Đăng ký khai sinh",
        "owner": NAME,
        "channel": 2,
        "handling_unit": "UBND xã Hòa Kiến",
        "received_at": received.isoformat(),
        "due_at": (received + timedelta(days=1)).isoformat(),
        "status": status,
    }
    if status == 10:
        body["returned_at"] = (received + timedelta(hours=20)).isoformat()
    body.update(extra)
    return body
