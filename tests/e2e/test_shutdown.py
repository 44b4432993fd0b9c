"""Graceful shutdown of the real ``lgsp run``: SIGTERM turns readiness false first, the delivery in
hand finishes, and the process exits 0 within the configured bound."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from lgsp.journal import Journal
from tests.e2e.test_cli import LGSP, add_system, free_port, lgsp_env, wait_ready
from tests.gateway.test_messages import message
from tests.support import RECIPIENT, SENDER, Receiver, unique_prefix

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


async def test_sigterm_drains_then_exits_zero_with_the_delivery_done(
    tmp_path: Path, rabbit_url: str, receiver: Receiver
) -> None:
    port = free_port()
    db = f"sqlite:///{tmp_path / 'lgsp.db'}"
    env = lgsp_env(
        broker_url=rabbit_url,
        broker_prefix=unique_prefix(),
        db_url=db,
        http_port=str(port),
        drain_seconds="1",
        shutdown_timeout="8",
    )
    sender = add_system(env, "a", SENDER, receiver.hook("a"))
    add_system(env, "b", RECIPIENT, receiver.hook("b"))
    receiver.delay = 2.0  # the delivery is still in hand when SIGTERM comes
    log = (tmp_path / "lgsp.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        LGSP, "run", env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_ready(base, process)
        async with httpx.AsyncClient(base_url=base) as http:
            answer = await http.post(
                "/v1/messages",
                json=message(),
                headers={"Authorization": f"Bearer {sender['api_key']}"},
            )
            assert answer.status_code == 202
            message_id = answer.json()["id"]
            async with asyncio.timeout(20):
                await receiver.started.wait()
            stopped_at = time.monotonic()
            process.send_signal(signal.SIGTERM)
            # The signal lands a moment later; then /readyz says draining for LGSP_DRAIN_SECONDS.
            async with asyncio.timeout(3):
                while (ready := await http.get("/readyz")).status_code == 200:
                    await asyncio.sleep(0.02)
            assert ready.status_code == 503
            assert ready.json()["status"] == "draining"
        async with asyncio.timeout(8 + 2 + 5):
            code = await process.wait()
        elapsed = time.monotonic() - stopped_at
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        log.close()
    assert code == 0, (tmp_path / "lgsp.log").read_text()[-2000:]
    assert elapsed < 8 + 2 + 5
    journal = await Journal.open(db)
    try:
        record = await journal.get(message_id)
    finally:
        await journal.close()
    assert record is not None
    assert record.status == "delivered"
    assert len(receiver.calls) == 1
