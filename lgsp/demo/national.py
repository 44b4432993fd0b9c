"""The demo's national traffic: a one-stop-shop system looks a citizen up in the national population
database (``POST /v1/requests``, answered synchronously through the bus), then reports a dossier's
statuses to the National Public Service Portal in quick succession and shows them recorded there in
order.

What the demo prints goes through the same masking as the logs: personal ID numbers and names are
never shown whole.

Not for: starting the platform or the simulators (``lgsp.demo``, ``lgsp.demo.simulators``).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from lgsp.client import Client
from lgsp.demo.documents import Printer
from lgsp.demo.simulators import CITIZEN_ID
from lgsp.logs import mask_personal_data, mask_text
from lgsp.settings import Settings

__all__ = ["PORTAL_AGENCY", "dossier_traffic", "lookup_traffic"]

PORTAL_AGENCY = "000.00.00.G01"
"""The National Public Service Portal's agency code (Văn phòng Chính phủ), where dossier statuses
are addressed."""

DOSSIER_STATUSES = (1, 2, 4, 9, 10)
"""Registered, received, processing, processed, result returned."""


def _masked(answer: dict[str, Any]) -> dict[str, Any]:
    return dict(mask_personal_data(None, "", dict(answer)))


async def lookup_traffic(client: Client, say: Printer) -> bool:
    """A citizen lookup and a shared catalogue lookup; whether both were answered."""
    say("")
    say(f"looking up citizen {mask_text(CITIZEN_ID)} in the national population database:")
    citizen = await client.request("national.citizen_lookup", {"personal_id": CITIZEN_ID})
    say(f"POST /v1/requests -> 200 found={citizen.found} {_masked(citizen.answer or {})}")
    ethnicity = await client.request(
        "national.catalog_lookup", {"catalog": "dmdc", "list_code": "DanToc", "item_code": "01"}
    )
    say(f"POST /v1/requests (catalogue DanToc 01) -> 200 {ethnicity.answer}")
    return citizen.found and ethnicity.found


async def _token(http: httpx.AsyncClient, settings: Settings) -> str:
    """An access token of the demo's own, to read the portal's record of the dossier."""
    response = await http.post(
        f"{settings.national_platform_url}/token",
        auth=(settings.national_client_id, settings.national_client_secret),
        data={"grant_type": "client_credentials"},
    )
    return str(response.json().get("access_token", ""))


def _dossier(code: str, status: int, received: datetime) -> dict[str, Any]:
    body: dict[str, Any] = {
        "dossier_code": code,
        "procedure_code": "1.001193",
        "procedure_name": "Đăng ký khai sinh",
        "owner": "Hồ Thị Hoa",
        "channel": 2,
        "handling_unit": "UBND xã Nghi Phong",
        "received_at": received.isoformat(),
        "due_at": (received + timedelta(days=1)).isoformat(),
        "status": status,
    }
    if status == 10:
        body["returned_at"] = (received + timedelta(hours=20)).isoformat()
    return body


async def dossier_traffic(
    client: Client, http: httpx.AsyncClient, settings: Settings, say: Printer
) -> bool:
    """A dossier's statuses sent back to back; whether the portal recorded them all, in order."""
    say("")
    code = f"000.00.21.H41-{datetime.now(UTC):%y%m%d-%H%M%S}"
    say(f"reporting dossier {code} to the public service portal, statuses {DOSSIER_STATUSES}:")
    received = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    ids = []
    for status in DOSSIER_STATUSES:
        accepted = await client.send(
            "national.dossier_sync", [PORTAL_AGENCY], _dossier(code, status, received)
        )
        ids.append(accepted.id)
    say(f"POST /v1/messages x{len(ids)} -> 202")
    history: list[int] = []
    for _ in range(300):
        statuses = [(await client.message(i))["status"] for i in ids]
        if all(s in ("delivered", "dead") for s in statuses):
            break
        await asyncio.sleep(0.05)
    response = await http.get(
        f"{settings.national_platform_url}/{settings.national_portal_api}/hoso/{code}",
        headers={"Authorization": f"Bearer {await _token(http, settings)}"},
    )
    if response.status_code == 200:
        history = [int(entry["TrangThaiHoSo"]) for entry in response.json()["LichSu"]]
    say(f"  messages: {', '.join(statuses)}")
    say(f"  the portal's history for the dossier: {history}")
    return history == list(DOSSIER_STATUSES)
