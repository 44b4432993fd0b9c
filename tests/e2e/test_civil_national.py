"""End to end on the civil-status and national axes: the real ``lgsp`` processes (two gateways and
the adapters, apart) on RabbitMQ, with the Ministry, the agencies and the national data platform
as simulators, driven over HTTP as a vendor would. Every line the processes log is then searched
for the personal ID numbers and names the traffic carried: none may appear unmasked."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from lgsp.demo.civil_status import FATHER_ID, MOTHER_ID, REGISTRAR, ltks_birth
from lgsp.demo.simulators import far_side_settings
from lgsp.simulators.agency import run_agency_simulator
from lgsp.simulators.agency_state import Agency, AgencyConfig
from lgsp.simulators.civil_status import run_civil_status_simulator
from lgsp.simulators.civil_status_state import CivilStatusConfig
from lgsp.simulators.national_platform import run_national_simulator
from lgsp.simulators.national_platform_state import Citizen, NationalConfig
from tests.e2e.test_cli import LGSP, free_port, lgsp, lgsp_env, wait_ready
from tests.support import unique_prefix

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

UNIT = "H41"
KEY = "e2e-unit-key"
SENDER = "000.00.21.H41"
CLIENT = ("lgsp-h41", "e2e-national-secret")
CITIZENS = {
    f"040{sex}{year:02d}{n:06d}": Citizen(
        full_name=name, birth_date=f"19{year:02d}-01-15", sex="female" if sex else "male",
        residence="Xã Nghi Phong, Huyện Nghi Lộc, Tỉnh Nghệ An",
    )
    for n, (sex, year, name) in enumerate(
        [(0, 70, "Phan Đình Tùng"), (1, 82, "Lê Thị Thu Hà"), (0, 95, "Đậu Quang Vinh")], 1
    )
}  # fmt: skip
NAMES = [c.full_name for c in CITIZENS.values()] + ["Hồ Gia Bảo", "Hồ Thị Hoa", "Hồ Văn Minh"]
TYPES = (
    "civil_status.birth",
    "national.citizen_lookup",
    "national.catalog_lookup",
    "national.dossier_sync",
)
# A 12-digit run that is not the tail of a UUID (message ids are UUIDs): a personal ID number.
_PERSONAL_ID = re.compile(r"(?<![0-9a-fA-F-])\d{12}(?![0-9a-fA-F])")


@dataclass
class Province:
    """The far sides, the lgsp processes and the one registered system."""

    gateways: list[str]
    api_key: str
    urls: dict[str, str]
    logs: list[Path] = field(default_factory=list)

    def logged(self) -> str:
        return "\n".join(path.read_text(errors="replace") for path in self.logs)


@pytest.fixture
async def province(tmp_path: Path, rabbit_url: str) -> AsyncIterator[Province]:
    keys = {UNIT: KEY}
    async with AsyncExitStack() as stack:
        urls = {
            "civil_status": await stack.enter_async_context(
                run_civil_status_simulator(CivilStatusConfig(api_keys=keys, province_code="040"))
            ),
            "national": await stack.enter_async_context(
                run_national_simulator(NationalConfig(clients=dict([CLIENT]), citizens=CITIZENS))
            ),
        }
        for agency in (Agency.RESIDENCE, Agency.HEALTH_INSURANCE, Agency.FUNERAL_ALLOWANCE):
            urls[agency.value] = await stack.enter_async_context(
                run_agency_simulator(AgencyConfig(agency=agency, api_keys=keys))
            )
        env = lgsp_env(
            broker_url=rabbit_url,
            broker_prefix=unique_prefix(),
            db_url=f"sqlite:///{tmp_path / 'lgsp.db'}",
            log_level="DEBUG",
            retry_schedule="[0.2, 0.5, 1]",
            breaker_cooldown="0.3",
            civil_status_poll_interval="0.2",
            **far_side_settings(urls, unit=UNIT, key=KEY, client=CLIENT),
        )
        args = ["systems", "add", "--id", "motcua", "--agency", SENDER]
        for message_type in TYPES:
            args += ["--may-send", message_type]
        created = lgsp(*args, env=env)
        assert created.returncode == 0, created.stderr
        api_key = json.loads(created.stdout)["api_key"]
        province = Province([], api_key, urls)
        commands = [["adapter", "civil_status"], ["adapter", "national"]]
        ports = [free_port(), free_port()]
        commands += [["gateway"]] * len(ports)
        processes = []
        for index, command in enumerate(commands):
            path = tmp_path / f"lgsp-{index}.log"
            province.logs.append(path)
            log = stack.enter_context(path.open("wb"))
            extra = {"LGSP_HTTP_PORT": str(ports[index - 2])} if command == ["gateway"] else {}
            processes.append(
                await asyncio.create_subprocess_exec(
                    LGSP, *command, env={**env, **extra}, stdout=log, stderr=subprocess.STDOUT
                )
            )
        try:
            for port, process in zip(ports, processes[2:], strict=True):
                base = f"http://127.0.0.1:{port}"
                await wait_ready(base, process)
                province.gateways.append(base)
            yield province
        finally:
            for process in processes:
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
            for process in processes:
                try:
                    async with asyncio.timeout(30):
                        await process.wait()
                except TimeoutError:
                    process.kill()
                    await process.wait()


def _auth(province: Province) -> dict[str, str]:
    return {"Authorization": f"Bearer {province.api_key}"}


async def _lookup(http: httpx.AsyncClient, base: str, province: Province, pid: str) -> Any:
    response = await http.post(
        f"{base}/v1/requests",
        headers=_auth(province),
        json={"type": "national.citizen_lookup", "body": {"personal_id": pid}},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_two_gateways_each_get_their_own_answers(province: Province) -> None:
    unknown = "040099000777"
    asked = [*CITIZENS, unknown] * 5
    async with httpx.AsyncClient(timeout=30) as http:
        answers = await asyncio.gather(
            *(_lookup(http, province.gateways[i % 2], province, pid) for i, pid in enumerate(asked))
        )
    for pid, answer in zip(asked, answers, strict=True):
        if pid == unknown:
            assert answer["found"] is False
        else:
            assert answer["found"] is True
            assert answer["answer"]["personal_id"] == pid
            assert answer["answer"]["full_name"] == CITIZENS[pid].full_name


async def _until(http: httpx.AsyncClient, url: str, province: Province, done: set[str]) -> Any:
    async with asyncio.timeout(60):
        while True:
            message = (await http.get(url, headers=_auth(province))).json()
            if message["status"] in done:
                return message
            await asyncio.sleep(0.1)


async def test_ltks_with_a_leg_down_then_back_and_no_personal_data_in_any_log(
    province: Province,
) -> None:
    base = province.gateways[0]
    insurance = province.urls["health_insurance"]
    async with httpx.AsyncClient(timeout=30) as http:
        await http.post(f"{insurance}/_simulator/config", json={"down": True})
        sent = await http.post(
            f"{base}/v1/messages",
            headers=_auth(province),
            json={
                "type": "civil_status.birth",
                "recipients": [REGISTRAR],
                "body": ltks_birth(date.today()),
            },
        )
        assert sent.status_code == 202, sent.text
        url = f"{base}/v1/messages/{sent.json()['id']}"
        # The Ministry registers and the residence leg is done; health insurance keeps failing.
        async with asyncio.timeout(60):
            while True:
                message = (await http.get(url, headers=_auth(province))).json()
                legs = {leg["leg"]: leg["state"] for leg in message.get("legs", [])}
                if legs.get("residence") == "done" and legs.get("health_insurance") == "failed":
                    break
                await asyncio.sleep(0.1)
        residence_calls = (await http.get(f"{province.urls['residence']}/_simulator/state")).json()
        await http.post(f"{insurance}/_simulator/config", json={"down": False})
        message = await _until(http, url, province, {"done", "dead"})
        assert message["status"] == "done", message
        assert {leg["leg"]: leg["state"] for leg in message["legs"]} == {
            "civil_status": "done",
            "residence": "done",
            "health_insurance": "done",
        }
        # The failed leg retried alone: the residence registry was not called again.
        after = (await http.get(f"{province.urls['residence']}/_simulator/state")).json()
        assert after["calls"] == residence_calls["calls"]
        child_id = next(
            leg["result"]["personal_id"] for leg in message["legs"] if leg["leg"] == "civil_status"
        )
        # A lookup and a catalogue search through the other gateway, for the logs to hold them.
        await _lookup(http, province.gateways[1], province, next(iter(CITIZENS)))
    logged = province.logged()
    assert '"event": "delivered"' in logged or "ministry" in logged  # the processes did log
    for personal_id in (child_id, MOTHER_ID, FATHER_ID, *CITIZENS):
        assert personal_id not in logged
    assert not _PERSONAL_ID.findall(logged)
    for name in NAMES:
        for spelling in _spellings(name):
            assert spelling not in logged, spelling


def _spellings(text: str) -> set[str]:
    """``text`` as it would show in a log: itself, JSON-escaped, and as a repr of its bytes."""
    return {text, json.dumps(text)[1:-1], repr(text.encode())[2:-1]}
