"""Bugs the property-based tests (``test_fuzz.py``) found, each kept as a plain regression test."""

from __future__ import annotations

import pytest

from lgsp.registry import register_operator
from tests.support import Platform


@pytest.mark.parametrize("limit", ["0", "-1", "-1000"])
async def test_dead_letters_with_a_limit_below_one(memory_platform: Platform, limit: str) -> None:
    # Was a 500: an empty page of "limit" 0 was taken for a full one, and its last item read.
    created = await register_operator(memory_platform.services.journal.systems, operator_id="ops")
    response = await memory_platform.client.get(
        f"/v1/ops/dead-letters?limit={limit}",
        headers={"Authorization": f"Bearer {created['api_key']}"},
    )
    assert response.status == 200, await response.text()
    assert await response.json() == {"items": [], "next": None}
