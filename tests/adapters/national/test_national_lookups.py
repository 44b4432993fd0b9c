"""The national adapter answering lookups (``answer``) against the national platform simulator:
citizens and shared catalogues, the platform failing, and tokens expiring in mid traffic."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from structlog.testing import capture_logs

from lgsp.adapters import AdapterContext, load_adapter
from lgsp.adapters.base import Answerer
from lgsp.adapters.national import NationalAdapter, NationalPlatform, create
from lgsp.bus import Reply, ReplyOutcome
from tests.adapters.national.national_support import (
    NAME,
    PERSON,
    STRANGER_ID,
    TOKEN_LIFETIME,
    FakeClock,
    Simulator,
    request,
)

CITIZEN = "national.citizen_lookup"
CATALOG = "national.catalog_lookup"


def adapter_on(context: AdapterContext, clock: FakeClock | None = None) -> NationalAdapter:
    """The adapter, its tokens timed by ``clock`` (by default the real one)."""
    if clock is None:
        return create(context)
    platform = NationalPlatform.from_settings(context.settings, context.http, clock=clock)
    return NationalAdapter(context, platform=platform)


async def ask(adapter: NationalAdapter, message_type: str, body: Any, **kw: Any) -> Reply:
    return await asyncio.wait_for(adapter.answer(request(message_type, body, **kw)), 10)


async def test_the_entry_point_builds_an_answerer(context: AdapterContext) -> None:
    adapter = load_adapter("national", context)
    assert adapter.axis == "national"
    assert isinstance(adapter, Answerer)


async def test_a_citizen_is_found(context: AdapterContext) -> None:
    reply = await ask(create(context), CITIZEN, {"personal_id": PERSON})
    assert reply == Reply(
        ReplyOutcome.FOUND,
        {
            "personal_id": PERSON,
            "full_name": NAME,
            "birth_date": "2024-03-05",
            "sex": "female",
            "residence": "Tuy Hòa, Phú Yên",
        },
    )


async def test_name_and_birth_date_narrow_the_lookup(context: AdapterContext) -> None:
    adapter = create(context)
    agreeing = {"personal_id": PERSON, "full_name": "nguyễn  thị an", "birth_date": "2024-03-05"}
    assert (await ask(adapter, CITIZEN, agreeing)).outcome is ReplyOutcome.FOUND
    other_name = await ask(adapter, CITIZEN, {"personal_id": PERSON, "full_name": "Trần Văn B"})
    assert other_name.outcome is ReplyOutcome.NOT_FOUND
    assert other_name.answer is None  # nothing about the person leaks


async def test_an_unknown_citizen_is_not_found(context: AdapterContext) -> None:
    reply = await ask(create(context), CITIZEN, {"personal_id": STRANGER_ID})
    assert reply.outcome is ReplyOutcome.NOT_FOUND
    assert reply.answer is None


@pytest.mark.parametrize(
    ("switches", "said"),
    [
        ({"down": True}, "503"),
        ({"error_rate": 1.0, "error_kind": "http"}, "500"),
    ],
)
async def test_the_platform_down_is_a_failed_reply(
    context: AdapterContext, simulator: Simulator, switches: dict[str, Any], said: str
) -> None:
    adapter = create(context)
    await simulator.switch(**switches)
    with capture_logs() as logs:
        reply = await ask(adapter, CITIZEN, {"personal_id": PERSON})
    assert reply.outcome is ReplyOutcome.FAILED
    assert reply.detail is not None
    assert said in reply.detail
    assert PERSON not in reply.detail
    assert logs
    assert all(PERSON not in repr(entry) and NAME not in repr(entry) for entry in logs)


async def test_the_platform_down_after_the_token_is_a_failed_reply(
    context: AdapterContext, simulator: Simulator
) -> None:
    adapter = create(context)
    assert (await ask(adapter, CITIZEN, {"personal_id": PERSON})).outcome is ReplyOutcome.FOUND
    await simulator.switch(error_rate=1.0)
    reply = await ask(adapter, CITIZEN, {"personal_id": PERSON})
    assert reply.outcome is ReplyOutcome.FAILED
    assert reply.detail is not None
    assert "temporarily_unavailable" in reply.detail


async def test_a_slow_platform_fails_within_the_deadline(
    context: AdapterContext, simulator: Simulator
) -> None:
    adapter = create(context)
    await simulator.switch(latency=2.0)
    deadline = datetime.now(UTC) + timedelta(seconds=0.3)
    started = asyncio.get_running_loop().time()
    reply = await ask(adapter, CITIZEN, {"personal_id": PERSON}, deadline=deadline)
    assert reply.outcome is ReplyOutcome.FAILED
    assert reply.detail is not None
    assert "did not answer within" in reply.detail
    assert asyncio.get_running_loop().time() - started < 1.5
    past = datetime.now(UTC) - timedelta(seconds=1)
    late = await ask(adapter, CITIZEN, {"personal_id": PERSON}, deadline=past)
    assert late.outcome is ReplyOutcome.FAILED


async def test_refused_credentials_are_a_failed_reply(context: AdapterContext) -> None:
    settings = context.settings.model_copy(update={"national_client_secret": "wrong"})
    reply = await ask(create(replace(context, settings=settings)), CITIZEN, {"personal_id": PERSON})
    assert reply.outcome is ReplyOutcome.FAILED
    assert reply.detail is not None
    assert "401" in reply.detail
    assert "wrong" not in reply.detail


async def test_without_a_platform_every_lookup_fails_saying_so(context: AdapterContext) -> None:
    settings = context.settings.model_copy(update={"national_platform_url": ""})
    reply = await ask(create(replace(context, settings=settings)), CITIZEN, {"personal_id": PERSON})
    assert reply.outcome is ReplyOutcome.FAILED
    assert reply.detail is not None
    assert "LGSP_NATIONAL_PLATFORM_URL" in reply.detail


async def test_an_unreadable_request_is_a_failed_reply(context: AdapterContext) -> None:
    adapter = create(context)
    garbled = replace(request(CITIZEN, {"personal_id": PERSON}), body=b"{not json")
    assert (await adapter.answer(garbled)).outcome is ReplyOutcome.FAILED
    dossier_sync = request(CATALOG, {"catalog": "dmdc", "list_code": "Tinh", "item_code": "054"})
    wrong_type = replace(dossier_sync, headers={})  # no sender: not from the gateway
    assert (await adapter.answer(wrong_type)).outcome is ReplyOutcome.FAILED


# --------------------------------------------------------------------------------------------
# Shared catalogues
# --------------------------------------------------------------------------------------------


async def test_a_catalogue_item(context: AdapterContext) -> None:
    adapter = create(context)
    item = {"catalog": "dmdc", "list_code": "Tinh", "item_code": "054"}
    reply = await ask(adapter, CATALOG, item)
    assert reply == Reply(
        ReplyOutcome.FOUND,
        {"catalog": "dmdc", "list_code": "Tinh", "code": "054", "name": "Phú Yên"},
    )
    lower_case = {"catalog": "dmdc", "list_code": "dantoc", "item_code": "03"}
    lower = await ask(adapter, CATALOG, lower_case)
    assert lower.answer == {"catalog": "dmdc", "list_code": "DanToc", "code": "03", "name": "Thái"}


@pytest.mark.parametrize(
    "body",
    [
        {"catalog": "dmdc", "list_code": "Tinh", "item_code": "999"},
        {"catalog": "dmdc", "list_code": "Nothing", "item_code": "01"},
        {"catalog": "nothing", "list_code": "Tinh", "item_code": "054"},
        {"catalog": "dmdc", "list_code": "Nothing", "query": "x"},
    ],
)
async def test_an_unknown_catalogue_item_or_list_is_not_found(
    context: AdapterContext, body: dict[str, str]
) -> None:
    reply = await ask(create(context), CATALOG, body)
    assert reply.outcome is ReplyOutcome.NOT_FOUND


async def test_a_catalogue_search(context: AdapterContext) -> None:
    adapter = create(context)
    reply = await ask(adapter, CATALOG, {"catalog": "dmdc", "list_code": "DanToc", "query": "thai"})
    assert reply == Reply(
        ReplyOutcome.FOUND,
        {
            "catalog": "dmdc",
            "list_code": "DanToc",
            "query": "thai",
            "items": [{"code": "03", "name": "Thái"}],
        },
    )
    none = await ask(adapter, CATALOG, {"catalog": "dmdc", "list_code": "Tinh", "query": "Paris"})
    assert none.outcome is ReplyOutcome.FOUND
    assert none.answer is not None
    assert none.answer["items"] == []


# --------------------------------------------------------------------------------------------
# Tokens expiring in the middle of traffic
# --------------------------------------------------------------------------------------------


async def many_lookups(adapter: NationalAdapter, count: int) -> list[Reply]:
    lookups = (adapter.answer(request(CITIZEN, {"personal_id": PERSON})) for _ in range(count))
    return await asyncio.wait_for(asyncio.gather(*lookups), 20)


async def test_expiry_in_mid_traffic_fails_nothing_and_refreshes_once(
    context: AdapterContext, simulator: Simulator, clock: FakeClock
) -> None:
    # One clock for both sides: the calls in flight carry a token that expires while they wait
    # in the platform (latency); the platform refuses it (401), and the retries share one fetch.
    adapter = adapter_on(context, clock)
    assert (await ask(adapter, CITIZEN, {"personal_id": PERSON})).outcome is ReplyOutcome.FOUND
    assert await simulator.tokens_issued() == 1
    await simulator.switch(latency=0.3)
    traffic = asyncio.ensure_future(many_lookups(adapter, 50))
    await asyncio.sleep(0.1)  # all 50 are in the platform now, with the old token
    clock.now += TOKEN_LIFETIME + 1
    replies = await traffic
    assert [r.outcome for r in replies] == [ReplyOutcome.FOUND] * 50
    assert await simulator.tokens_issued() == 2


async def test_a_token_the_platform_expired_first_is_replaced_once(
    context: AdapterContext, simulator: Simulator, clock: FakeClock
) -> None:
    # The platform's clock runs ahead of ours: our cached token still looks alive to us, every
    # call is refused with 401 invalid_token, and all of them share one refresh and retry.
    adapter = adapter_on(context, FakeClock())
    assert (await ask(adapter, CITIZEN, {"personal_id": PERSON})).outcome is ReplyOutcome.FOUND
    clock.now += TOKEN_LIFETIME + 1
    await simulator.switch(latency=0.05)
    replies = await many_lookups(adapter, 50)
    assert [r.outcome for r in replies] == [ReplyOutcome.FOUND] * 50
    assert await simulator.tokens_issued() == 2


async def test_a_token_due_for_refresh_is_refreshed_once_for_all(
    context: AdapterContext, simulator: Simulator, clock: FakeClock
) -> None:
    adapter = adapter_on(context, clock)
    assert (await ask(adapter, CITIZEN, {"personal_id": PERSON})).outcome is ReplyOutcome.FOUND
    clock.now += TOKEN_LIFETIME + 1
    await simulator.switch(latency=0.05)
    replies = await many_lookups(adapter, 50)
    assert [r.outcome for r in replies] == [ReplyOutcome.FOUND] * 50
    assert await simulator.tokens_issued() == 2
