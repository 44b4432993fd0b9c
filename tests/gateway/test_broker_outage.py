"""The broker goes away under a running gateway: 503 within the publish timeout, nothing left
marked accepted; the broker comes back: messages are accepted again without a restart.

Stops and starts the local RabbitMQ application (``rabbitmqctl stop_app``), so it is marked
``broker_restart`` and always restarts the broker, even on failure.
"""

from __future__ import annotations

import asyncio
import subprocess

import pytest

from tests.gateway.test_messages import message
from tests.support import PlatformFactory


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=120)


@pytest.mark.integration
@pytest.mark.broker_restart
async def test_broker_outage_gives_503_then_recovers(
    platform_factory: PlatformFactory, rabbit_url: str, sqlite_url: str
) -> None:
    platform = await platform_factory(
        bus="rabbitmq", db_url=sqlite_url, broker_url=rabbit_url, publish_timeout=2.0
    )
    auth = platform.auth("qlvb-a")
    journal = platform.services.journal
    before = await platform.client.post("/v1/messages", json=message(), headers=auth)
    assert before.status == 202

    await asyncio.to_thread(rabbitmqctl, "stop_app")
    try:
        # Bounded: the answer must come within the publish timeout (plus slack), never hang.
        async with asyncio.timeout(platform.settings.publish_timeout + 5):
            during = await platform.client.post("/v1/messages", json=message(), headers=auth)
        assert during.status == 503
        assert during.content_type == "application/problem+json"
        assert during.headers["Retry-After"]
        assert await journal.count_by_status("accepted") == 0
        ready = await platform.client.get("/readyz")
        assert ready.status == 503
        assert (await ready.json())["checks"]["broker"] == "down"
    finally:
        await asyncio.to_thread(rabbitmqctl, "start_app")
        await asyncio.to_thread(rabbitmqctl, "await_startup")

    async with asyncio.timeout(60):
        while True:
            after = await platform.client.post("/v1/messages", json=message(), headers=auth)
            if after.status == 202:
                break
            assert after.status == 503
            await asyncio.sleep(0.5)
    accepted_id = (await after.json())["id"]
    await platform.wait_status(accepted_id, "delivered", timeout=30)
    assert (await platform.client.get("/readyz")).status == 200
    assert await journal.count_by_status("accepted") == 0
