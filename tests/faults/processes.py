"""Real ``lgsp`` processes for fault tests: started, killed with SIGKILL, restarted."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from pathlib import Path

import httpx

from tests.e2e.test_cli import LGSP

__all__ = ["LgspProcess"]


class LgspProcess:
    """One ``lgsp <command>`` process whose output goes to a log file in ``logs``, restarted a
    second after it exits, as systemd's ``Restart=always`` would (``lgsp run`` fails fast when
    the broker is down at start, and relies on exactly that)."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], logs: Path) -> None:
        self.name = name
        self._args = args
        self._env = env
        self._logs = logs
        self._process: asyncio.subprocess.Process | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self.starts = 0

    async def start(self, *, ready_url: str | None = None) -> None:
        await self._spawn()
        if self._supervisor is None:
            self._supervisor = asyncio.create_task(self._supervise())
        if ready_url is not None:
            await self._wait_ready(ready_url)

    async def _supervise(self) -> None:
        while True:
            process = self._process
            if process is not None:
                await process.wait()
            await asyncio.sleep(1.0)
            if self._process is process:  # nobody restarted it meanwhile
                await self._spawn()

    async def _spawn(self) -> None:
        self.starts += 1
        log = (self._logs / f"{self.name}-{self.starts}.log").open("wb")
        self._process = await asyncio.create_subprocess_exec(
            LGSP, *self._args, env=self._env, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()

    async def _wait_ready(self, url: str) -> None:
        async with httpx.AsyncClient() as http, asyncio.timeout(60):
            while True:
                try:
                    if (await http.get(url)).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)

    async def kill(self) -> None:
        """SIGKILL: no cleanup, no goodbye, as a crash or the OOM killer would. The supervisor
        starts it again a second later."""
        if self._process is not None and self._process.returncode is None:
            self._process.send_signal(signal.SIGKILL)
            await self._process.wait()

    async def stop(self) -> int | None:
        if self._supervisor is not None:
            self._supervisor.cancel()
            self._supervisor = None
        if self._process is None or self._process.returncode is not None:
            return self._process.returncode if self._process else None
        self._process.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(30):
                return await self._process.wait()
        except TimeoutError:
            await self.kill()
            return None
