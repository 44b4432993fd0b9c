"""``TokenSource`` against the national platform simulator: caching, refresh, single flight."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp.test_utils import BaseTestServer, TestServer
from structlog.testing import capture_logs

from lgsp.adapters.national import TokenSource
from lgsp.errors import PermanentDeliveryError, TransientDeliveryError
from lgsp.simulators.national_platform import NATIONAL_STATE, create_national_app
from lgsp.simulators.national_platform_state import NationalConfig, NationalState

CLIENT, SECRET = "lgsp-h41", "s3cret-h41-never-logged"
CONFIG = NationalConfig(clients={CLIENT: SECRET}, token_lifetime=2)


class FakeClock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


class Platform:
    """The simulator (on the test's clock), an HTTP client, and token sources for it."""

    def __init__(
        self,
        server: BaseTestServer,
        state: NationalState,
        http: httpx.AsyncClient,
        clock: FakeClock,
    ) -> None:
        self.url = str(server.make_url("")).rstrip("/")
        self.state = state
        self.http = http
        self.clock = clock

    def source(self, *, secret: str = SECRET, **kw: Any) -> TokenSource:
        kw.setdefault("clock", self.clock)
        return TokenSource(
            self.http, f"{self.url}/token", client_id=CLIENT, client_secret=secret, **kw
        )

    async def accepted(self, token: str) -> bool:
        response = await self.http.get(
            f"{self.url}/dmdc/1.0/tinh/054", headers={"Authorization": f"Bearer {token}"}
        )
        return response.status_code == 200

    async def switch(self, **changes: Any) -> None:
        response = await self.http.post(f"{self.url}/_simulator/config", json=changes)
        assert response.status_code == 200


@pytest.fixture
async def platform() -> AsyncIterator[Platform]:
    # Every call is bounded by the httpx timeout; gathers are bounded by ``wait_for``.
    clock = FakeClock()
    app = create_national_app(CONFIG, clock=clock)
    async with TestServer(app, host="127.0.0.1") as server, httpx.AsyncClient(timeout=5) as http:
        yield Platform(server, app[NATIONAL_STATE], http, clock)


async def test_the_token_is_cached(platform: Platform) -> None:
    source = platform.source()
    first = await source.token()
    assert await source.token() == first
    assert platform.state.tokens_issued == 1
    assert await platform.accepted(first)


async def test_refreshes_before_expiry(platform: Platform) -> None:
    # lifetime 2 s, margin 30 s: the margin is capped at half the lifetime, so refresh at 1 s.
    source = platform.source(refresh_margin=30.0)
    first = await source.token()
    platform.clock.now += 0.9
    assert await source.token() == first
    platform.clock.now += 0.2  # 1.1 s: inside the refresh window, the old token still alive
    assert await platform.accepted(first)
    second = await source.token()
    assert second != first
    assert platform.state.tokens_issued == 2
    assert await platform.accepted(second)


async def test_a_small_margin_keeps_the_token_longer(platform: Platform) -> None:
    source = platform.source(refresh_margin=0.25)
    first = await source.token()
    platform.clock.now += 1.5
    assert await source.token() == first
    platform.clock.now += 0.3
    assert await source.token() != first


async def test_fifty_concurrent_callers_share_one_refresh(platform: Platform) -> None:
    source = platform.source()
    first = await source.token()
    platform.clock.now += 1.5  # due for refresh
    await platform.switch(latency=0.2)  # keep the refresh in flight while everyone asks
    tokens = await asyncio.wait_for(asyncio.gather(*(source.token() for _ in range(50))), 10)
    assert platform.state.tokens_issued == 2
    assert len(set(tokens)) == 1
    assert tokens[0] != first


async def test_fifty_concurrent_first_callers_share_one_request(platform: Platform) -> None:
    source = platform.source()
    await platform.switch(latency=0.1)
    tokens = await asyncio.wait_for(asyncio.gather(*(source.token() for _ in range(50))), 10)
    assert platform.state.tokens_issued == 1
    assert len(set(tokens)) == 1


async def test_invalidate_forces_a_new_token(platform: Platform) -> None:
    source = platform.source()
    first = await source.token()
    source.invalidate(first)
    second = await source.token()
    assert second != first
    assert platform.state.tokens_issued == 2
    source.invalidate(first)  # a stale refusal does not drop the newer token
    assert await source.token() == second
    source.invalidate()
    assert await source.token() not in (first, second)
    assert platform.state.tokens_issued == 3


async def test_a_refused_token_is_replaced(platform: Platform) -> None:
    source = platform.source()
    token = await source.token()
    platform.state.tokens.clear()  # the server forgot it (restart)
    assert not await platform.accepted(token)
    source.invalidate(token)
    assert await platform.accepted(await source.token())


async def test_bad_credentials_are_permanent(platform: Platform) -> None:
    source = platform.source(secret="wrong")
    with pytest.raises(PermanentDeliveryError) as caught:
        await source.token()
    assert caught.value.status_code == 401
    assert platform.state.tokens_issued == 0


@pytest.mark.parametrize(
    ("switches", "status"),
    [
        ({"down": True}, 503),
        ({"error_rate": 1.0}, 503),
        ({"error_rate": 1.0, "error_kind": "http"}, 500),
    ],
)
async def test_server_trouble_is_transient(
    platform: Platform, switches: dict[str, Any], status: int
) -> None:
    await platform.switch(**switches)
    with pytest.raises(TransientDeliveryError) as caught:
        await platform.source().token()
    assert caught.value.status_code == status


async def test_concurrent_callers_share_a_failure(platform: Platform) -> None:
    await platform.switch(down=True)
    source = platform.source()
    results = await asyncio.wait_for(
        asyncio.gather(*(source.token() for _ in range(10)), return_exceptions=True), 10
    )
    assert all(isinstance(result, TransientDeliveryError) for result in results)


async def test_a_failed_refresh_keeps_the_live_token(platform: Platform) -> None:
    source = platform.source()
    first = await source.token()
    platform.clock.now += 1.5
    await platform.switch(down=True)
    assert await source.token() == first  # still alive for 0.5 s
    platform.clock.now += 0.5
    with pytest.raises(TransientDeliveryError):
        await source.token()
    await platform.switch(down=False)
    assert await source.token() != first


async def test_a_refused_connection_is_transient() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with httpx.AsyncClient(timeout=2) as http:
        source = TokenSource(
            http, f"http://127.0.0.1:{port}/token", client_id=CLIENT, client_secret=SECRET
        )
        with pytest.raises(TransientDeliveryError):
            await asyncio.wait_for(source.token(), 10)


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, text="not json"),
        httpx.Response(200, json={"token_type": "Bearer", "expires_in": 60}),
        httpx.Response(200, json={"access_token": "t", "token_type": "Bearer", "expires_in": 0}),
        httpx.Response(200, json={"access_token": "t", "token_type": "MAC", "expires_in": 60}),
    ],
)
async def test_an_unreadable_answer_is_transient(answer: httpx.Response) -> None:
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda _: answer)) as http:
        source = TokenSource(http, "http://ndxp/token", client_id=CLIENT, client_secret=SECRET)
        with pytest.raises(TransientDeliveryError):
            await source.token()


async def test_a_real_short_lifetime_is_refreshed() -> None:
    # Real clocks on both sides: lifetime 1 s, so the source refreshes after 0.5 s.
    config = NationalConfig(clients={CLIENT: SECRET}, token_lifetime=1)
    app = create_national_app(config)
    async with (
        asyncio.timeout(10),
        TestServer(app, host="127.0.0.1") as server,
        httpx.AsyncClient(timeout=5) as http,
    ):
        url = str(server.make_url("/token"))
        source = TokenSource(http, url, client_id=CLIENT, client_secret=SECRET)
        first = await source.token()
        await asyncio.sleep(0.6)
        second = await source.token()
        assert second != first
        assert app[NATIONAL_STATE].tokens_issued == 2


async def test_the_secret_is_never_logged_or_shown(platform: Platform) -> None:
    with capture_logs() as logs:
        source = platform.source()
        await source.token()
        with pytest.raises(PermanentDeliveryError) as caught:
            await platform.source(secret="wrong-secret").token()
    assert SECRET not in repr(source)
    assert "wrong-secret" not in str(caught.value)
    assert logs
    assert all(SECRET not in repr(entry) for entry in logs)
