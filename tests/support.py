"""Helpers the tests share: a webhook receiver, a running platform, settings and buses."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from lgsp.bus import Bus, MemoryBus, RabbitBus, Topology
from lgsp.registry import register_system
from lgsp.runtime import Services
from lgsp.settings import Settings

SENDER = "000.00.00.H41"
RECIPIENT = "000.00.12.H41"
STRANGER = "000.00.13.H41"


def unique_prefix() -> str:
    return f"t{secrets.token_hex(4)}"


@dataclass
class Receiver:
    """Records every call; answers ``status`` (or the next of ``script``)."""

    url: str = ""
    calls: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    """What each call in ``calls`` was answered, in the same order."""
    status: int = 204
    script: list[int] = field(default_factory=list)
    status_by_system: dict[str, int] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds each call takes before it is answered (a slow receiver)."""
    started: asyncio.Event = field(default_factory=asyncio.Event)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def hook(self, system: str) -> str:
        return f"{self.url}/hooks/{system}"

    async def wait_for(self, count: int, timeout: float = 15) -> None:
        async with asyncio.timeout(timeout):
            while len(self.calls) < count:
                self.arrived.clear()
                await self.arrived.wait()


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
    values: dict[str, Any] = {
        "log_format": "console",
        "publish_timeout": 2.0,
        # Retries within a test's patience: 3 of them, a fraction of a second apart.
        "retry_schedule": (0.05, 0.1, 0.2),
        "retry_max_attempts": 3,
        # An endpoint's circuit reopens for a probe quickly, or replays would wait it out.
        "breaker_cooldown": 0.2,
        **overrides,
    }
    return Settings.model_validate(values)


def new_bus(kind: str, rabbit_url: str = "", **kwargs: Any) -> Bus:
    topology = Topology(prefix=unique_prefix(), delivery_limit=kwargs.pop("delivery_limit", 3))
    if kind == "memory":
        return MemoryBus(topology, **kwargs)
    return RabbitBus(rabbit_url, topology, **kwargs)
