"""End to end: ``lgsp adapter`` has no gateway; with ``LGSP_METRICS_PORT`` it serves ``/metrics``
and ``/healthz`` there."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_cli import LGSP, free_port, lgsp_env
from tests.support import unique_prefix

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


async def test_an_adapter_process_serves_its_metrics(tmp_path: Path, rabbit_url: str) -> None:
    port = free_port()
    env = lgsp_env(
        broker_url=rabbit_url,
        broker_prefix=unique_prefix(),
        db_url=f"sqlite:///{tmp_path / 'lgsp.db'}",
        metrics_port=str(port),
    )
    with (tmp_path / "lgsp.log").open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            LGSP, "adapter", "document", env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
                async with asyncio.timeout(60):
                    while True:
                        assert process.returncode is None, "lgsp exited early"
                        try:
                            if (await http.get("/healthz")).status_code == 200:
                                break
                        except httpx.TransportError:
                            await asyncio.sleep(0.2)
                scraped = await http.get("/metrics")
            assert scraped.status_code == 200
            assert scraped.headers["Content-Type"].startswith("text/plain")
            assert "lgsp_broker_connected 1.0" in scraped.text
            assert 'lgsp_build_info{version="' in scraped.text
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            async with asyncio.timeout(30):
                stopped = await process.wait()
    assert stopped == 0, (tmp_path / "lgsp.log").read_text()
