"""``lgsp demo``: the whole platform in one process, with sample traffic on every axis.

Embedded bus, a SQLite journal in a temporary folder, every far side as a simulator on a local port
(``lgsp.demo.simulators``), and sample traffic sent through the real HTTP API with the SDK:

- documents: one inside the province, one out over the national document axis and its statuses
  back (``lgsp.demo.documents``);
- civil status: a birth registered as the joined procedure LTKS, its three legs followed to done
  (``lgsp.demo.civil_status``);
- national: a citizen lookup and a catalogue lookup (request-reply), and a dossier's statuses
  synced to the public service portal in order (``lgsp.demo.national``).

Every ``LGSP_*`` variable still applies: set ``LGSP_BUS`` or ``LGSP_DB_URL`` and the demo uses
RabbitMQ or that database instead.

Not for: production (``lgsp run``) or tests' fixtures.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from lgsp.client import Client
from lgsp.demo.civil_status import ltks_traffic
from lgsp.demo.documents import SAMPLE_DOCUMENT, Printer, document_traffic, webhook_receiver
from lgsp.demo.national import dossier_traffic, lookup_traffic
from lgsp.demo.simulators import run_simulators
from lgsp.gateway.serving import serve_http
from lgsp.registry import register_system
from lgsp.runtime import Services, open_services, start_adapters, wait_for_stop
from lgsp.settings import Settings

__all__ = ["ONE_STOP_SHOP_AGENCY", "SAMPLE_DOCUMENT", "demo_settings", "run_demo"]

ONE_STOP_SHOP_AGENCY = "000.00.21.H41"
"""The commune's one-stop shop (bộ phận một cửa) that sends civil-status and national traffic."""

_AXES = ("document", "civil_status", "national")


def demo_settings(settings: Settings, workdir: Path, far_sides: dict[str, Any]) -> Settings:
    """``settings`` with the demo's defaults wherever the environment named nothing."""
    defaults: dict[str, Any] = {
        "bus": "memory",
        "db_url": f"sqlite:///{workdir / 'lgsp.db'}",
        "blob_dir": str(workdir / "blobs"),
        **far_sides,
    }
    return settings.model_copy(
        update={k: v for k, v in defaults.items() if k not in settings.model_fields_set}
    )


async def run_demo(settings: Settings, *, say: Printer = print, serve: bool = True) -> bool:
    """Run the demo; whether every flow ended as it should."""
    with tempfile.TemporaryDirectory(prefix="lgsp-demo-") as tmp:
        async with run_simulators() as far_sides:
            settings = demo_settings(settings, Path(tmp), far_sides)
            say(f"lgsp demo: bus={settings.bus}, journal={settings.db_url}")
            say(f"national document axis simulator on {settings.national_document_url}")
            say(f"civil-status (Ministry of Justice) simulator on {settings.civil_status_url}")
            say(f"national data platform and portal simulator on {settings.national_platform_url}")
            return await _run(settings, say, serve=serve)


async def _run(settings: Settings, say: Printer, *, serve: bool) -> bool:
    secrets: dict[str, str] = {}
    async with open_services(settings) as services, webhook_receiver(secrets, say) as port:
        await start_adapters(services, _AXES)
        async with serve_http(services, settings.http_host, settings.http_port) as served:
            gateway = f"http://{settings.http_host}:{served.port}"
            say(f"gateway on {gateway}")
            documents = await document_traffic(services, gateway, port, secrets, say)
            others = await _civil_and_national(services, gateway, say)
            ok = documents == "delivered" and others
            say("")
            say("every flow went through" if ok else "SOME FLOW DID NOT GO THROUGH")
            if serve:
                say("serving; Ctrl-C to stop")
                await wait_for_stop()
            return ok


async def _civil_and_national(services: Services, gateway: str, say: Printer) -> bool:
    one_stop = await register_system(
        services.journal.systems,
        system_id="demo-motcua",
        agency=ONE_STOP_SHOP_AGENCY,
        may_send=[
            "civil_status.birth",
            "civil_status.lookup",
            "national.citizen_lookup",
            "national.catalog_lookup",
            "national.dossier_sync",
        ],
    )
    say("")
    say(f"registered {one_stop['id']} ({ONE_STOP_SHOP_AGENCY}), the commune's one-stop shop")
    async with Client(gateway, api_key=one_stop["api_key"]) as client:
        birth = await ltks_traffic(client, say)
        looked_up = await lookup_traffic(client, say)
        synced = await dossier_traffic(client, services.http, services.settings, say)
    return birth == "done" and looked_up and synced
