"""The demo's document traffic: two provincial document systems whose webhooks a small receiver in
the same process serves, one document sent inside the province, one out over the national document
axis to a far province (Cao Bằng), whose status packages come back onto it.

Not for: starting the platform or the simulators (``lgsp.demo``, ``lgsp.demo.simulators``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from lgsp.adapters.vdxp.client import VdxpClient
from lgsp.adapters.webhook import verify
from lgsp.client import Client
from lgsp.demo.simulators import AXIS_SECRETS, FAR_AGENCY, RECIPIENT_AGENCY, SENDER_AGENCY
from lgsp.registry import register_system
from lgsp.runtime import Services
from lgsp.simulators.far_province import FarProvince

__all__ = ["SAMPLE_DOCUMENT", "Printer", "document_traffic", "webhook_receiver"]


SAMPLE_DOCUMENT: dict[str, Any] = {
    "code": {"number": "1234", "notation": "UBND-VX"},
    "promulgation": {"place": "Nghệ An", "date": "2026-11-20"},
    "document_type": {"type": 1, "detail": 2, "name": "Công văn"},
    "subject": "V/v triển khai nền tảng tích hợp, chia sẻ dữ liệu cấp tỉnh",
    "content": "Đề nghị các sở, ngành kết nối hệ thống quản lý văn bản với LGSP.",
    "signer": {"competence": "TM. UBND", "position": "Chủ tịch", "full_name": "Nguyễn Văn A"},
    "priority": 1,
    "to_places": ["Sở Thông tin và Truyền thông"],
}

Printer = Callable[[str], None]


@asynccontextmanager
async def webhook_receiver(secrets: dict[str, str], say: Printer) -> AsyncIterator[int]:
    """The two demo systems' webhook endpoint, checking every signature like a vendor should."""

    async def hook(request: web.Request) -> web.Response:
        system = request.match_info["system"]
        body = await request.read()
        ok = verify(
            secrets[system],
            request.headers.get("X-LGSP-Timestamp", ""),
            body,
            request.headers.get("X-LGSP-Signature", ""),
        )
        if not ok:
            say(f"  webhook {system}: BAD SIGNATURE, refused")
            return web.Response(status=401)
        envelope = json.loads(body)
        content = envelope["body"]
        what = (
            f"status {content['status_code']}"
            if envelope["type"] == "document.status"
            else repr(content.get("subject", ""))
        )
        say(
            f"  webhook {system}: received {envelope['type']} {envelope['id']} "
            f"from {envelope['sender']}: {what} (signature ok)"
        )
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hooks/{system}", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield int(runner.addresses[0][1])
    finally:
        await runner.cleanup()


async def document_traffic(
    services: Services, gateway: str, receiver_port: int, secrets: dict[str, str], say: Printer
) -> str:
    """Register the two systems, send the sample document, print its path; its final status."""
    hooks = f"http://127.0.0.1:{receiver_port}/hooks"
    registry = services.journal.systems
    sender = await register_system(
        registry,
        system_id="demo-ubnd-qlvb",
        agency=SENDER_AGENCY,
        webhook_url=f"{hooks}/demo-ubnd-qlvb",
        may_send=["document.send", "document.status"],
    )
    recipient = await register_system(
        registry,
        system_id="demo-so-qlvb",
        agency=RECIPIENT_AGENCY,
        webhook_url=f"{hooks}/demo-so-qlvb",
        may_send=["document.send", "document.status"],
    )
    secrets.update({s["id"]: s["webhook_secret"] for s in (sender, recipient)})
    say(f"registered {sender['id']} ({SENDER_AGENCY}) and {recipient['id']} ({RECIPIENT_AGENCY})")
    async with Client(gateway, api_key=sender["api_key"]) as client:
        accepted = await client.send("document.send", [RECIPIENT_AGENCY], SAMPLE_DOCUMENT)
        say(f"POST /v1/messages -> 202 {accepted.id}")
        seen = 0
        for _ in range(200):
            message = await client.message(accepted.id)
            for event in message["events"][seen:]:
                who = f" for {event['recipient']}" if event.get("recipient") else ""
                say(f"  status {event['status']}{who} at {event['at']}")
            seen = len(message["events"])
            if message["status"] in ("delivered", "dead"):
                break
            await asyncio.sleep(0.05)
        say(f"message {accepted.id}: {message['status']}")
        far = await _national_document(services, client, say)
    say("")
    say("try it yourself:")
    auth = f"Authorization: Bearer {sender['api_key']}"
    say(f"  curl -s -H '{auth}' {gateway}/v1/messages/{accepted.id}")
    return str(message["status"]) if far == "done" else f"national: {far}"


async def _national_document(services: Services, client: Client, say: Printer) -> str:
    """A document to another province over the national axis, and its statuses coming back."""
    say("")
    say(f"sending a document to {FAR_AGENCY} (Cao Bằng), outside the province:")
    body = {**SAMPLE_DOCUMENT, "code": {"number": "1235", "notation": "UBND-VX"}}
    accepted = await client.send("document.send", [FAR_AGENCY], body)
    say(f"POST /v1/messages -> 202 {accepted.id}")
    settings = services.settings
    far = FarProvince(
        VdxpClient(
            services.http,
            settings.national_document_url,
            system_id="lgsp-h14",
            secret=AXIS_SECRETS["lgsp-h14"],
            timeout=5,
        ),
        agency=FAR_AGENCY,
        staff="Hoàng Thị Lan",
    )
    seen = 0
    answered = False
    message: dict[str, Any] = {}
    for _ in range(300):
        message = await client.message(accepted.id)
        for event in message["events"][seen:]:
            who = f" for {event['recipient']}" if event.get("recipient") else ""
            detail = event.get("detail") or {}
            extra = f" ({detail['name']}, {detail['staff']['staff']})" if "staff" in detail else ""
            via = " via the national document axis" if detail.get("via") else ""
            say(f"  status {event['status']}{who}{via}{extra} at {event['at']}")
        seen = len(message["events"])
        if message["status"] in ("done", "dead"):
            break
        if message["status"] == "delivered" and not answered:
            say("  Cao Bằng's LGSP takes it from the axis and answers 01, 03, 06")
            answered = bool(await far.answer())
        await asyncio.sleep(0.05)
    say(f"message {accepted.id}: {message['status']}")
    return str(message["status"])
