"""Fault injection on the civil-status and national axes: joined procedures and dossier statuses
survive crashes and a broker restart.

Real ``lgsp gateway``, ``lgsp adapter civil_status`` and ``lgsp adapter national`` processes on
RabbitMQ and PostgreSQL, with the Ministry, the agencies and the national data platform as
simulators (a little slow, so crashes land in the middle of calls). Births are registered as LTKS
and dossiers report their statuses back to back while both adapters are SIGKILLed twice and
RabbitMQ restarts. Then every birth must be done with its three legs, each registered once at the
Ministry and at each agency (a resend after a crash gets the first result back), and every
dossier's history at the portal must be its statuses, all of them, in order.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from lgsp.demo.civil_status import REGISTRAR, ltks_birth
from lgsp.demo.simulators import far_side_settings
from lgsp.simulators.agency import run_agency_simulator
from lgsp.simulators.agency_state import Agency, AgencyConfig
from lgsp.simulators.civil_status import run_civil_status_simulator
from lgsp.simulators.civil_status_state import CivilStatusConfig
from lgsp.simulators.national_platform import run_national_simulator
from lgsp.simulators.national_platform_state import NationalConfig
from tests.e2e.test_cli import free_port, lgsp, lgsp_env
from tests.faults.processes import LgspProcess
from tests.faults.test_faults import restart_rabbitmq
from tests.support import unique_prefix

pytestmark = [pytest.mark.integration, pytest.mark.faults, pytest.mark.broker_restart]

BIRTHS = 12
DOSSIERS = 6
STATUSES = (1, 2, 4, 5, 6, 9, 10)
"""A dossier's life: registered, received, processing, more papers asked, payment asked,
processed, result returned. The portal refuses a status lower than the last one: a status sent
out of order would be refused, and end dead."""
UNIT = "H41"
KEY = "faults-unit-key"
CLIENT = ("lgsp-h41", "faults-national-secret")
SENDER = "000.00.21.H41"
PORTAL = "000.00.00.G01"


@dataclass
class FarSides:
    urls: dict[str, str]

    async def state(self, http: httpx.AsyncClient, name: str) -> dict[str, Any]:
        answer: dict[str, Any] = (await http.get(f"{self.urls[name]}/_simulator/state")).json()
        return answer


@pytest.fixture
async def far_sides() -> AsyncIterator[FarSides]:
    keys = {UNIT: KEY}
    async with AsyncExitStack() as stack:
        urls = {
            "civil_status": await stack.enter_async_context(
                run_civil_status_simulator(
                    CivilStatusConfig(api_keys=keys, province_code="040", latency=0.5)
                )
            ),
            "national": await stack.enter_async_context(
                run_national_simulator(NationalConfig(clients=dict([CLIENT]), latency=0.05))
            ),
        }
        for agency in (Agency.RESIDENCE, Agency.HEALTH_INSURANCE):
            urls[agency.value] = await stack.enter_async_context(
                run_agency_simulator(AgencyConfig(agency=agency, api_keys=keys, latency=0.3))
            )
        yield FarSides(urls)


def _dossier(code: str, status: int) -> dict[str, Any]:
    received = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    body: dict[str, Any] = {
        "dossier_code": code,
        "procedure_code": "1.001193",
        "procedure_name": "Đăng ký khai sinh",
        "owner": "Nguyễn Thị Mai",
        "channel": 2,
        "handling_unit": "UBND xã Nghi Phong",
        "received_at": received.isoformat(),
        "status": status,
    }
    if status == 10:
        body["returned_at"] = (received + timedelta(days=1)).isoformat()
    return body


class Sender:
    """A one-stop shop's client: each message retried with its Idempotency-Key until a 202."""

    def __init__(self, http: httpx.AsyncClient, base: str, key: str) -> None:
        self._http = http
        self._base = base
        self._key = key
        self.accepted: dict[str, str] = {}
        self.refused_503 = 0

    async def send(self, idempotency_key: str, message: dict[str, Any]) -> None:
        headers = {"Authorization": f"Bearer {self._key}", "Idempotency-Key": idempotency_key}
        for _ in range(240):
            try:
                response = await self._http.post(
                    f"{self._base}/v1/messages", json=message, headers=headers
                )
            except httpx.TransportError:
                pass
            else:
                if response.status_code == 202:
                    self.accepted[idempotency_key] = response.json()["id"]
                    return
                assert response.status_code == 503, response.text
                self.refused_503 += 1
            await asyncio.sleep(0.25)
        raise AssertionError(f"{idempotency_key} never accepted")

    async def message(self, message_id: str) -> dict[str, Any]:
        response = await self._http.get(
            f"{self._base}/v1/messages/{message_id}",
            headers={"Authorization": f"Bearer {self._key}"},
        )
        answer: dict[str, Any] = response.json()
        return answer


async def _when(ready: Callable[[], Awaitable[bool]], fault: Callable[[], Awaitable[None]]) -> None:
    """Inject ``fault`` once ``ready()`` says the work it should hit is under way."""
    async with asyncio.timeout(120):
        while not await ready():
            await asyncio.sleep(0.05)
    await fault()


async def test_joined_procedures_and_dossier_order_survive_crashes_and_a_broker_restart(
    tmp_path: Path,
    rabbit_url: str,
    database: str,
    far_sides: FarSides,
    report: Callable[[str], None],
) -> None:
    port = free_port()
    urls = far_sides.urls
    env = lgsp_env(
        broker_url=rabbit_url,
        broker_prefix=unique_prefix(),
        db_url=database,
        http_port=str(port),
        publish_timeout="3",
        retry_schedule="[0.3, 0.6, 1]",
        retry_max_attempts="60",
        breaker_cooldown="0.5",
        civil_status_poll_interval="0.3",
        **far_side_settings(urls, unit=UNIT, key=KEY, client=CLIENT),
    )
    args = ["systems", "add", "--id", "motcua", "--agency", SENDER]
    args += ["--may-send", "civil_status.birth", "--may-send", "national.dossier_sync"]
    created = lgsp(*args, env=env)
    assert created.returncode == 0, created.stderr
    api_key = json.loads(created.stdout)["api_key"]
    base = f"http://127.0.0.1:{port}"
    gateway = LgspProcess("gateway", ["gateway"], env, tmp_path)
    civil = LgspProcess("civil", ["adapter", "civil_status"], env, tmp_path)
    national = LgspProcess("national", ["adapter", "national"], env, tmp_path)
    await gateway.start(ready_url=f"{base}/readyz")
    await civil.start()
    await national.start()
    faults: list[str] = []

    async def kill(process: LgspProcess) -> None:
        await process.kill()
        faults.append(f"{process.name} adapter killed")

    async def broker() -> None:
        await restart_rabbitmq()
        faults.append("rabbitmq restarted")

    try:
        async with httpx.AsyncClient(timeout=10) as http:
            sender = Sender(http, base, api_key)
            codes = [f"000.00.21.H41-261102-{n:04d}" for n in range(DOSSIERS)]

            async def births() -> None:
                for n in range(BIRTHS):
                    body = ltks_birth(date.today() - timedelta(days=n))
                    message = {"type": "civil_status.birth", "recipients": [REGISTRAR]}
                    await sender.send(f"birth-{n}", {**message, "body": body})
                    await asyncio.sleep(0.3)

            async def dossier(code: str) -> None:
                for i, status in enumerate(STATUSES):
                    message = {"type": "national.dossier_sync", "recipients": [PORTAL]}
                    await sender.send(f"{code}-{i}", {**message, "body": _dossier(code, status)})
                    await asyncio.sleep(0.1)

            async def registered(at_least: int) -> bool:
                return len((await far_sides.state(http, "civil_status"))["records"]) >= at_least

            async def synced(at_least: int) -> bool:
                last = (await far_sides.state(http, "national"))["dossiers"].values()
                return sum(STATUSES.index(status) + 1 for status in last) >= at_least

            async def faults_in_turn() -> None:
                # Each while that axis's adapter is in the middle of its work.
                await _when(lambda: registered(2), lambda: kill(civil))
                await _when(lambda: synced(8), lambda: kill(national))
                await _when(lambda: registered(5), broker)
                await _when(lambda: registered(8), lambda: kill(civil))
                await _when(lambda: synced(24), lambda: kill(national))

            await asyncio.gather(births(), *(dossier(code) for code in codes), faults_in_turn())
            final: dict[str, dict[str, Any]] = {}
            async with asyncio.timeout(180):
                while len(final) < len(sender.accepted):
                    for key, message_id in sender.accepted.items():
                        if key in final:
                            continue
                        seen = await sender.message(message_id)
                        done = ("done",) if key.startswith("birth") else ("delivered",)
                        if seen["status"] in (*done, "dead"):
                            final[key] = seen
                    await asyncio.sleep(0.2)

            ministry = await far_sides.state(http, "civil_status")
            residence = await far_sides.state(http, "residence")
            insurance = await far_sides.state(http, "health_insurance")
            token = (
                await http.post(
                    f"{urls['national']}/token",
                    auth=CLIENT,
                    data={"grant_type": "client_credentials"},
                )
            ).json()["access_token"]
            histories = {
                code: [
                    int(entry["TrangThaiHoSo"])
                    for entry in (
                        await http.get(
                            f"{urls['national']}/dvcqg/1.0/hoso/{code}",
                            headers={"Authorization": f"Bearer {token}"},
                        )
                    ).json()["LichSu"]
                ]
                for code in codes
            }
    finally:
        for process in (civil, national, gateway):
            await process.stop()

    births_done = [k for k, m in final.items() if k.startswith("birth") and m["status"] == "done"]
    legs_done = [
        k
        for k, m in final.items()
        if k.startswith("birth") and all(leg["state"] == "done" for leg in m.get("legs", []))
    ]
    dead = {k: m["events"][-1].get("detail") for k, m in final.items() if m["status"] == "dead"}
    in_order = [code for code, history in histories.items() if history == list(STATUSES)]
    register_calls = ministry["calls"].get("/hotich/1.0/dangKyHoTich", 0)
    summary = {
        "births": BIRTHS,
        "births_done": len(births_done),
        "ministry_records": len(ministry["records"]),
        "ministry_register_calls": register_calls,
        "residence_records": len(residence["records"]),
        "insurance_records": len(insurance["records"]),
        "dossiers": DOSSIERS,
        "statuses": DOSSIERS * len(STATUSES),
        "dossiers_in_order": len(in_order),
        "dead": len(dead),
        "refused_503": sender.refused_503,
        "faults": faults,
    }
    report("civil/national faults: " + json.dumps(summary, ensure_ascii=False))
    assert len(faults) == 5
    assert len(sender.accepted) == BIRTHS + DOSSIERS * len(STATUSES)
    assert not dead, dead
    assert len(births_done) == BIRTHS
    assert len(legs_done) == BIRTHS
    # Registered once each, however many times a crash made the adapter ask again.
    assert len(ministry["records"]) == BIRTHS
    assert len(residence["records"]) == BIRTHS
    assert len(insurance["records"]) == BIRTHS
    assert histories == {code: list(STATUSES) for code in codes}
