"""End to end: the real ``lgsp`` command, started as a vendor or operator would, and driven
over HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from lgsp.adapters.webhook import verify
from tests.gateway.test_messages import message
from tests.support import RECIPIENT, SENDER, STRANGER, Receiver, unique_prefix

pytestmark = pytest.mark.e2e

LGSP = str(Path(sys.executable).parent / "lgsp")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def lgsp_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LGSP_")}
    env.update({f"LGSP_{k.upper()}": v for k, v in values.items()})
    env["LGSP_LOG_FORMAT"] = "json"
    return env


def lgsp(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LGSP, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def add_system(env: dict[str, str], system_id: str, agency: str, webhook: str) -> dict[str, str]:
    done = lgsp(
        "systems",
        "add",
        "--id",
        system_id,
        "--agency",
        agency,
        "--webhook",
        webhook,
        "--may-send",
        "document.send",
        "--may-send",
        "document.status",
        env=env,
    )
    assert done.returncode == 0, done.stderr
    created: dict[str, str] = json.loads(done.stdout)
    return created


async def wait_ready(base: str, process: asyncio.subprocess.Process) -> None:
    async with httpx.AsyncClient(base_url=base) as http, asyncio.timeout(60):
        while True:
            assert process.returncode is None, "lgsp exited early"
            try:
                if (await http.get("/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)


@pytest.fixture
async def running(
    tmp_path: Path, rabbit_url: str, receiver: Receiver
) -> AsyncIterator[tuple[str, dict[str, dict[str, str]], asyncio.subprocess.Process]]:
    """``lgsp run`` on RabbitMQ and SQLite, with three registered systems."""
    port = free_port()
    env = lgsp_env(
        broker_url=rabbit_url,
        broker_prefix=unique_prefix(),
        db_url=f"sqlite:///{tmp_path / 'lgsp.db'}",
        http_port=str(port),
    )
    systems = {
        name: add_system(env, name, agency, receiver.hook(name))
        for name, agency in (("a", SENDER), ("b", RECIPIENT), ("c", STRANGER))
    }
    log = (tmp_path / "lgsp.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        LGSP, "run", env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_ready(base, process)
        yield base, systems, process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(30):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()
        log.close()


@pytest.mark.integration
async def test_run_delivers_a_document_over_http(
    running: tuple[str, dict[str, dict[str, str]], asyncio.subprocess.Process],
    receiver: Receiver,
) -> None:
    base, systems, process = running

    def auth(name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {systems[name]['api_key']}"}

    async with httpx.AsyncClient(base_url=base) as http:
        response = await http.post("/v1/messages", json=message(), headers=auth("a"))
        assert response.status_code == 202, response.text
        message_id = response.json()["id"]
        await receiver.wait_for(1, timeout=30)
        _, headers, body = receiver.calls[0]
        assert verify(
            systems["b"]["webhook_secret"],
            headers["X-LGSP-Timestamp"],
            body,
            headers["X-LGSP-Signature"],
        )
        async with asyncio.timeout(30):
            while (
                view := (await http.get(f"/v1/messages/{message_id}", headers=auth("a"))).json()
            )["status"] != "delivered":
                await asyncio.sleep(0.1)
        assert any(e.get("recipient") == RECIPIENT for e in view["events"])
        assert (await http.get(f"/v1/messages/{message_id}", headers=auth("c"))).status_code == 404
        bad = await http.post(
            "/v1/messages", content=b"{", headers={**auth("a"), "Content-Type": "application/json"}
        )
        assert bad.status_code == 400
        assert bad.headers["Content-Type"].startswith("application/problem+json")

    process.send_signal(signal.SIGTERM)
    async with asyncio.timeout(30):
        assert await process.wait() == 0


def test_run_with_unreachable_broker_fails_fast_with_one_line(tmp_path: Path) -> None:
    env = lgsp_env(
        broker_url="amqp://guest:secret@127.0.0.1:1/",
        connect_timeout="3",
        db_url=f"sqlite:///{tmp_path / 'lgsp.db'}",
        http_port=str(free_port()),
    )
    done = lgsp("run", env=env, timeout=30)
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("lgsp: cannot reach the broker at amqp://guest:***@127.0.0.1:1/")
    assert "secret" not in done.stderr


def test_bad_setting_is_one_line(tmp_path: Path) -> None:
    done = lgsp("run", env=lgsp_env(http_port="not-a-port"))
    assert done.returncode == 2
    assert done.stderr.startswith("lgsp: LGSP_HTTP_PORT:")


def test_systems_add_refuses_a_bad_agency_code(tmp_path: Path) -> None:
    env = lgsp_env(db_url=f"sqlite:///{tmp_path / 'lgsp.db'}")
    done = lgsp("systems", "add", "--id", "x", "--agency", "28.22.H17", env=env)
    assert done.returncode == 2
    assert "--agency" in done.stderr
    listed = lgsp("systems", "list", env=env)
    assert json.loads(listed.stdout) == []


def test_systems_add_prints_the_key_once_and_list_hides_it(tmp_path: Path) -> None:
    env = lgsp_env(db_url=f"sqlite:///{tmp_path / 'lgsp.db'}")
    created = add_system(env, "qlvb", SENDER, "http://127.0.0.1:9/hook")
    assert created["api_key"].startswith("lgsp_key_")
    assert created["agency"] == SENDER
    assert created["may_send"] == ["document.send", "document.status"]
    listed = lgsp("systems", "list", env=env)
    assert created["api_key"] not in listed.stdout
    assert created["webhook_secret"] not in listed.stdout
    assert json.loads(listed.stdout)[0]["id"] == "qlvb"
    again = lgsp("systems", "add", "--id", "qlvb", "--agency", SENDER, env=env)
    assert again.returncode == 2


def test_demo_runs_and_delivers(tmp_path: Path) -> None:
    env = lgsp_env(http_port=str(free_port()))
    done = lgsp("demo", "--no-serve", env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "signature ok" in done.stdout
    assert "status delivered for 000.00.12.H41" in done.stdout
    # The second document goes out over the national axis and its statuses come back.
    assert "via the national document axis" in done.stdout
    assert "status 06 for 000.00.00.H14 (done" in done.stdout
    # A birth registered as LTKS: every leg done through the simulators.
    assert "(civil_status done, residence done, health_insurance done)" in done.stdout
    # A citizen lookup answered through the bus, its personal data masked even on the screen.
    assert "POST /v1/requests -> 200 found=True" in done.stdout
    assert "040090001234" not in done.stdout + done.stderr
    # A dossier's statuses sent back to back, recorded by the portal in order.
    assert "the portal's history for the dossier: [1, 2, 4, 9, 10]" in done.stdout
    assert "every flow went through" in done.stdout


def test_schemas_export(tmp_path: Path) -> None:
    done = lgsp("schemas", "export", str(tmp_path / "schemas"), env=lgsp_env())
    assert done.returncode == 0, done.stderr
    schema = json.loads((tmp_path / "schemas" / "document.send.schema.json").read_text())
    assert "body" in schema["properties"]
