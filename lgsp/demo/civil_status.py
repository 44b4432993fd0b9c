"""The demo's civil-status traffic: a commune's one-stop shop registers a newborn's birth as the
joined procedure LTKS (liên thông khai sinh). The request fans out: the Ministry of Justice
registers the birth and assigns the child's personal ID number, then the residence registry
records the child's permanent residence and social security issues a health insurance card, side
by side. The demo follows each leg's state until the request is done.

What the demo prints goes through the same masking as the logs: personal ID numbers and names are
never shown whole.

Not for: starting the platform or the simulators (``lgsp.demo``, ``lgsp.demo.simulators``).
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

from lgsp.client import Client
from lgsp.demo.documents import Printer
from lgsp.logs import mask_personal_data

__all__ = ["REGISTRAR", "ltks_birth", "ltks_traffic"]

REGISTRAR = "000.00.12.H41"
"""The registering authority: the commune's People's Committee, the message's recipient."""

MOTHER_ID = "040190012345"  # Nghệ An, 1 = a woman born 1900–1999, '90
FATHER_ID = "040088001234"  # Nghệ An, 0 = a man born 1900–1999, '88


def ltks_birth(today: date) -> dict[str, Any]:
    """A newborn's birth registration, as the joined procedure LTKS."""
    born = today - timedelta(days=9)
    home = {"province": "Nghệ An", "district": "Huyện Nghi Lộc", "commune": "Xã Nghi Phong"}
    return {
        "registration_kind": "joined_ltks",
        "child": {
            "full_name": "Hồ Gia Bảo",
            "sex": "male",
            "birth_date": born.isoformat(),
            "birth_place": {"province": "Nghệ An", "detail": "Bệnh viện Sản Nhi Nghệ An"},
            "ethnicity": "Kinh",
            "nationality": "Việt Nam",
        },
        "mother": {
            "full_name": "Hồ Thị Hoa",
            "birth_date": "1990-04-02",
            "residence": home,
            "id_document": {"type": "citizen_id_card", "number": MOTHER_ID},
            "personal_id": MOTHER_ID,
        },
        "father": {"full_name": "Hồ Văn Minh", "personal_id": FATHER_ID, "residence": home},
        "requester": {"full_name": "Hồ Văn Minh", "relationship": "cha"},
        "birth_notice": {
            "number": "GCS-2026-004411",
            "issued_on": (born + timedelta(1)).isoformat(),
        },
        "registration_place": REGISTRAR,
        "registered_on": today.isoformat(),
        "copies": 1,
    }


def _masked(value: Any) -> Any:
    return dict(mask_personal_data(None, "", {"v": value}))["v"]


async def ltks_traffic(client: Client, say: Printer) -> str:
    """Send the LTKS birth registration and follow it; returns its final status."""
    say("")
    say("registering a birth as the joined procedure LTKS (birth + residence + health insurance):")
    accepted = await client.send("civil_status.birth", [REGISTRAR], ltks_birth(date.today()))
    say(f"POST /v1/messages -> 202 {accepted.id}")
    seen = 0
    message: dict[str, Any] = {}
    for _ in range(600):
        message = await client.message(accepted.id)
        for event in message["events"][seen:]:
            detail = event.get("detail") or {}
            if event["status"] == "leg":
                extra = f" {_masked(detail['result'])}" if detail.get("result") else ""
                reason = f" ({detail['reason']})" if detail.get("reason") else ""
                say(f"  leg {detail.get('leg')}: {detail.get('state')}{extra}{reason}")
            else:
                say(f"  status {event['status']} at {event['at']}")
        seen = len(message["events"])
        if message["status"] in ("done", "dead"):
            break
        await asyncio.sleep(0.05)
    legs = ", ".join(f"{leg['leg']} {leg.get('state')}" for leg in message.get("legs", []))
    say(f"message {accepted.id}: {message['status']} ({legs})")
    return str(message["status"])
