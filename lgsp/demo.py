"""``lgsp demo``: the whole platform in one process, with sample traffic.

Embedded bus, a SQLite journal in a temporary folder, two provincial document systems whose
webhooks are served by a small receiver in the same process, the national document axis
simulator with a far province (Cao Bằng) on it, and two sample documents sent through the real
HTTP API: one inside the province, one out over the national axis, whose status packages come
back onto it. Every ``LGSP_*`` variable still applies: set ``LGSP_BUS`` or ``LGSP_DB_URL`` and the
demo uses RabbitMQ or that database instead.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiohttp import web

from lgsp.adapters.vdxp.client import VdxpClient
from lgsp.adapters.webhook import verify
from lgsp.client import Client
from lgsp.registry import register_system
from lgsp.runtime import Services, open_services, serve_http, start_adapters, wait_for_stop
from lgsp.settings import Settings
from lgsp.simulators.far_province import FarProvince
from lgsp.simulators.vdxp import run_vdxp_simulator
from lgsp.simulators.vdxp_state import VdxpConfig, VdxpSystem

__all__ = ["SAMPLE_DOCUMENT", "demo_settings", "run_demo"]

SENDER_AGENCY = "000.00.00.H41"  # a provincial People's Committee
RECIPIENT_AGENCY = "000.00.12.H41"  # one of its departments
FAR_AGENCY = "000.00.00.H14"  # another province's People's Committee, over the national axis
_AXIS_SECRETS = {"lgsp-h41": "demo-secret-h41", "lgsp-h14": "demo-secret-h14"}

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


def demo_settings(settings: Settings, workdir: Path, axis_url: str = "") -> Settings:
    """``settings`` with the demo's defaults wherever the environment named nothing."""
    defaults: dict[str, Any] = {
        "bus": "memory",
        "db_url": f"sqlite:///{workdir / 'lgsp.db'}",
        "blob_dir": str(workdir / "blobs"),
        "national_document_url": axis_url,
        "national_document_system_id": "lgsp-h41",
        "national_document_secret": _AXIS_SECRETS["lgsp-h41"],
        "national_poll_interval": 0.3,
    }
    return settings.model_copy(
        update={k: v for k, v in defaults.items() if k not in settings.model_fields_set}
    )


@asynccontextmanager
async def _receiver(secrets: dict[str, str], say: Printer) -> AsyncIterator[int]:
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


async def _sample_traffic(
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
            secret=_AXIS_SECRETS["lgsp-h14"],
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


async def run_demo(settings: Settings, *, say: Printer = print, serve: bool = True) -> str:
    """Run the demo; returns the sample message's final status."""
    axis = VdxpConfig(
        systems={
            "lgsp-h41": VdxpSystem(_AXIS_SECRETS["lgsp-h41"], (SENDER_AGENCY, RECIPIENT_AGENCY)),
            "lgsp-h14": VdxpSystem(_AXIS_SECRETS["lgsp-h14"], (FAR_AGENCY,)),
        },
        agency_names={FAR_AGENCY: "UBND tỉnh Cao Bằng", SENDER_AGENCY: "UBND tỉnh Nghệ An"},
    )
    with tempfile.TemporaryDirectory(prefix="lgsp-demo-") as tmp:
        secrets: dict[str, str] = {}
        async with run_vdxp_simulator(axis) as axis_url:
            settings = demo_settings(settings, Path(tmp), axis_url)
            say(f"lgsp demo: bus={settings.bus}, journal={settings.db_url}")
            say(f"national document axis simulator on {axis_url}")
            return await _run(settings, secrets, say, serve=serve)


async def _run(settings: Settings, secrets: dict[str, str], say: Printer, *, serve: bool) -> str:
    async with open_services(settings) as services, _receiver(secrets, say) as receiver_port:
        await start_adapters(services, ["document"])
        async with serve_http(services, settings.http_host, settings.http_port) as served:
            gateway = f"http://{settings.http_host}:{served.port}"
            say(f"gateway on {gateway}")
            status = await _sample_traffic(services, gateway, receiver_port, secrets, say)
            if serve:
                say("serving; Ctrl-C to stop")
                await wait_for_stop()
            return status
