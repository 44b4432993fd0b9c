"""Shared fixtures: settings, an isolated RabbitMQ vhost and PostgreSQL database per run,
a webhook receiver, and a running platform (gateway + document adapter) on either bus.

The test run's own variables (read here only, never by lgsp): ``LGSP_TEST_BROKER_URL`` (a vhost
prepared by the caller) and ``LGSP_TEST_PG_URL`` (an admin URL to create a database from).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from lgsp.bus import Bus, MemoryBus, RabbitBus, Topology
from lgsp.gateway import create_app
from lgsp.journal import Journal
from lgsp.registry import register_system
from lgsp.runtime import Services, open_services, start_adapters
from lgsp.settings import Settings

SENDER = "000.00.00.H41"
RECIPIENT = "000.00.12.H41"
STRANGER = "000.00.13.H41"

# --------------------------------------------------------------------------------------------
# Real services, isolated per run
# --------------------------------------------------------------------------------------------


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="session")
def rabbit_url() -> Iterator[str]:
    """A RabbitMQ vhost of this run's own, deleted at the end."""
    given = os.environ.get("LGSP_TEST_BROKER_URL")
    if given:
        yield given
        return
    if shutil.which("rabbitmqctl") is None:
        pytest.fail("RabbitMQ is required: install rabbitmq-server or set LGSP_TEST_BROKER_URL")
    vhost = f"lgsp-test-{secrets.token_hex(4)}"
    _rabbitmqctl("add_vhost", vhost)
    _rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    try:
        yield f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    finally:
        _rabbitmqctl("delete_vhost", vhost)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A PostgreSQL database of this run's own, dropped at the end."""
    admin = os.environ.get("LGSP_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
    name = f"lgsp_test_{secrets.token_hex(4)}"

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    base = admin.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def unique_prefix() -> str:
    return f"t{secrets.token_hex(4)}"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'lgsp.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each journal test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'lgsp.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
async def journal(db_url: str) -> AsyncIterator[Journal]:
    j = await Journal.open(db_url)
    try:
        yield j
    finally:
        await _wipe(j)
        await j.close()


async def _wipe(journal: Journal) -> None:
    # PostgreSQL is one database for the whole run: tests leave it empty for the next.
    from lgsp.journal.tables import metadata

    async with journal.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            if table.name != "lgsp_schema":
                await conn.execute(table.delete())


# --------------------------------------------------------------------------------------------
# A webhook receiver
# --------------------------------------------------------------------------------------------


@dataclass
class Receiver:
    """Records every call; answers ``status`` (or the next of ``script``)."""

    url: str = ""
    calls: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    status: int = 204
    script: list[int] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def hook(self, system: str) -> str:
        return f"{self.url}/hooks/{system}"

    async def wait_for(self, count: int, timeout: float = 15) -> None:
        async with asyncio.timeout(timeout):
            while len(self.calls) < count:
                self.arrived.clear()
                await self.arrived.wait()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()

    async def hook(request: web.Request) -> web.Response:
        rec.calls.append((request.match_info["system"], dict(request.headers), await request.read()))
        rec.arrived.set()
        status = rec.script.pop(0) if rec.script else rec.status
        return web.Response(status=status)

    app = web.Application()
    app.router.add_post("/hooks/{system}", hook)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    rec.url = str(server.make_url("")).rstrip("/")
    try:
        yield rec
    finally:
        await server.close()


# --------------------------------------------------------------------------------------------
# A running platform
# --------------------------------------------------------------------------------------------


@dataclass
class Platform:
    """Gateway (as a test client) and document adapter over one bus and journal."""

    settings: Settings
    services: Services
    client: TestClient[web.Request, web.Application]
    receiver: Receiver
    keys: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)

    async def add_system(self, system_id: str, agency: str, **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("webhook_url", self.receiver.hook(system_id))
        kwargs.setdefault("may_send", ["document.send", "document.status"])
        created = await register_system(
            self.services.journal.systems, system_id=system_id, agency=agency, **kwargs
        )
        self.keys[system_id] = created["api_key"]
        self.secrets[system_id] = created["webhook_secret"]
        return created

    def auth(self, system_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[system_id]}"}

    async def wait_status(self, message_id: str, status: str, timeout: float = 15) -> Any:
        async with asyncio.timeout(timeout):
            while True:
                record = await self.services.journal.get(message_id)
                if record is not None and record.status == status:
                    return record
                await asyncio.sleep(0.02)


PlatformFactory = Callable[..., Awaitable[Platform]]


def make_settings(**overrides: Any) -> Settings:
    """Settings for a test: explicit values only, whatever the environment holds."""
    values: dict[str, Any] = {"log_format": "console", "publish_timeout": 2.0, **overrides}
    return Settings.model_validate(values)


@pytest.fixture
async def platform_factory(receiver: Receiver) -> AsyncIterator[PlatformFactory]:
    opened: list[tuple[Any, TestClient[web.Request, web.Application]]] = []

    async def build(*, bus: str, db_url: str, broker_url: str = "", **overrides: Any) -> Platform:
        settings = make_settings(
            bus=bus, db_url=db_url, broker_url=broker_url or "amqp://unused/",
            broker_prefix=unique_prefix(), **overrides,
        )
        context = open_services(settings)
        services = await context.__aenter__()
        await start_adapters(services, ["document"])
        app = create_app(settings, bus=services.bus, journal=services.journal)
        client = TestClient(TestServer(app))
        await client.start_server()
        opened.append((context, client))
        platform = Platform(settings, services, client, receiver)
        for system_id, agency in (("qlvb-a", SENDER), ("qlvb-b", RECIPIENT), ("qlvb-c", STRANGER)):
            await platform.add_system(system_id, agency)
        return platform

    yield build
    for context, client in reversed(opened):
        await client.close()
        await context.__aexit__(None, None, None)


@pytest.fixture
async def memory_platform(platform_factory: PlatformFactory, sqlite_url: str) -> Platform:
    return await platform_factory(bus="memory", db_url=sqlite_url)


@pytest.fixture
async def rabbit_platform(
    platform_factory: PlatformFactory, rabbit_url: str, db_url: str
) -> AsyncIterator[Platform]:
    platform = await platform_factory(bus="rabbitmq", db_url=db_url, broker_url=rabbit_url)
    yield platform
    await _wipe(platform.services.journal)


def new_bus(kind: str, rabbit_url: str = "", **kwargs: Any) -> Bus:
    topology = Topology(prefix=unique_prefix(), delivery_limit=kwargs.pop("delivery_limit", 3))
    if kind == "memory":
        return MemoryBus(topology, **kwargs)
    return RabbitBus(rabbit_url, topology, **kwargs)
