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
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from lgsp.bus import Topology
from lgsp.gateway import create_app
from lgsp.journal import Journal
from lgsp.runtime import open_services, start_adapters
from tests.support import (
    RECIPIENT,
    SENDER,
    STRANGER,
    Platform,
    PlatformFactory,
    Receiver,
    make_settings,
    unique_prefix,
)

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
    admin = os.environ.get("LGSP_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"lgsp_test_{secrets.token_hex(4)}"

    async def execute(sql: str) -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    def run(sql: str) -> None:
        # In a thread of its own: the fixture may be first asked for inside a running loop.
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, execute(sql)).result()

    run(f'CREATE DATABASE "{name}"')
    base = admin.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()

    async def hook(request: web.Request) -> web.Response:
        rec.calls.append(
            (request.match_info["system"], dict(request.headers), await request.read())
        )
        rec.arrived.set()
        rec.started.set()
        if rec.delay:
            await asyncio.sleep(rec.delay)
        system = request.match_info["system"]
        status = rec.script.pop(0) if rec.script else rec.status_by_system.get(system, rec.status)
        rec.statuses.append(status)
        return web.Response(status=status)

    app = web.Application(client_max_size=256 * 1024 * 1024)
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


@pytest.fixture
async def platform_factory(
    receiver: Receiver, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[PlatformFactory]:
    opened: list[tuple[Any, Platform]] = []

    async def build(
        *, bus: str, db_url: str, broker_url: str = "", with_systems: bool = True, **overrides: Any
    ) -> Platform:
        settings = make_settings(
            bus=bus,
            db_url=db_url,
            broker_url=broker_url or "amqp://unused/",
            broker_prefix=unique_prefix(),
            **{"blob_dir": str(tmp_path_factory.mktemp("blobs")), **overrides},
        )
        context = open_services(settings)
        services = await context.__aenter__()
        await start_adapters(services, ["document"])
        app = create_app(
            settings,
            bus=services.bus,
            journal=services.journal,
            blobs=services.blobs,
            acceptor=services.acceptor,
            metrics=services.metrics,
        )
        client = TestClient(TestServer(app))
        await client.start_server()
        platform = Platform(settings, services, client, receiver)
        opened.append((context, platform))
        if with_systems:
            for system_id, agency in (
                ("qlvb-a", SENDER),
                ("qlvb-b", RECIPIENT),
                ("qlvb-c", STRANGER),
            ):
                await platform.add_system(system_id, agency)
        return platform

    yield build
    for context, platform in reversed(opened):
        await platform.client.close()
        if platform.settings.db_url.startswith("postgresql"):
            await _wipe(platform.services.journal)  # one database serves the whole run
        await context.__aexit__(None, None, None)
        if platform.settings.bus == "rabbitmq":
            await drop_topology(platform.settings.broker_url, platform.settings.broker_prefix)


async def drop_topology(broker_url: str, prefix: str) -> None:
    """Delete a test's queues and exchanges: quorum queues are costly, and a run makes many."""
    topology = Topology(prefix=prefix, delay_steps=make_settings().retry_schedule)
    queues = [topology.work_queue(a) for a in topology.axes]
    queues += [topology.unroutable_queue, topology.dead_queue]
    queues += [topology.delay_queue(step) for step in topology.delay_steps]
    queues += [topology.request_queue(a) for a in topology.axes]
    exchanges = [topology.messages_exchange, topology.unroutable_exchange, topology.dead_exchange]
    exchanges += [topology.requests_exchange]
    exchanges += [topology.delay_exchange(step) for step in topology.delay_steps]
    connection = await aio_pika.connect(broker_url)
    try:
        channel = await connection.channel()
        for name in queues:
            await channel.queue_delete(name, if_unused=False, if_empty=False)
        for name in exchanges:
            await channel.exchange_delete(name)
    finally:
        await connection.close()


@pytest.fixture
async def memory_platform(platform_factory: PlatformFactory, sqlite_url: str) -> Platform:
    return await platform_factory(bus="memory", db_url=sqlite_url)


# --------------------------------------------------------------------------------------------
# Counts the fault and cluster tests report, printed at the end of every run
# --------------------------------------------------------------------------------------------

_REPORT = pytest.StashKey[list[str]]()


@pytest.fixture
def report(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """``report(line)``: a line printed in the run's summary (``.ci/run`` output included)."""
    lines = request.config.stash.setdefault(_REPORT, [])
    return lines.append


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    lines = config.stash.get(_REPORT, [])
    if lines:
        terminalreporter.section("lgsp guarantees")
        for line in lines:
            terminalreporter.write_line(line)
