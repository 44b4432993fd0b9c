"""What the fault tests share: a PostgreSQL database of their own, dropped afterwards."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import asyncpg
import pytest


@pytest.fixture
async def database(pg_url: str) -> AsyncIterator[str]:
    name = f"lgsp_faults_{secrets.token_hex(4)}"
    admin = pg_url.rsplit("/", 1)[0] + "/postgres"
    conn = await asyncpg.connect(admin)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    yield f"{pg_url.rsplit('/', 1)[0]}/{name}"
    conn = await asyncpg.connect(admin)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()
