"""``NationalPlatform`` on a mock transport: paths, bearer tokens, one retry after a refused
token, and every kind of failure translated into lgsp's errors (never quoting a personal ID)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from lgsp.adapters.national import NationalPlatform, TokenSource
from lgsp.errors import PermanentDeliveryError, TransientDeliveryError
from tests.adapters.national.national_support import PERSON

BASE = "http://ndxp.invalid"

Answer = Callable[[httpx.Request], httpx.Response]


class Platform:
    """A mock national platform: ``/token`` hands out ``t1``, ``t2``...; ``api`` answers the
    rest. Every request is kept."""

    def __init__(self, api: Answer) -> None:
        self.api = api
        self.requests: list[httpx.Request] = []
        self.tokens = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/token":
            self.tokens += 1
            body = {"access_token": f"t{self.tokens}", "token_type": "Bearer", "expires_in": 60}
            return httpx.Response(200, json=body)
        return self.api(request)

    def client(self, http: httpx.AsyncClient) -> NationalPlatform:
        tokens = TokenSource(http, f"{BASE}/token", client_id="c", client_secret="s")
        return NationalPlatform(http, BASE, tokens, citizen_api="dancu/1.0", portal_api="dvcqg/2.0")


async def call(api: Answer, use: Callable[[NationalPlatform], Any]) -> tuple[Any, Platform]:
    platform = Platform(api)
    async with httpx.AsyncClient(transport=httpx.MockTransport(platform)) as http:
        return await use(platform.client(http)), platform


def citizen(client: NationalPlatform) -> Any:
    return client.citizen(PERSON)


async def test_paths_and_bearer_token() -> None:
    seen: list[str] = []

    def api(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}?{request.url.query.decode()}")
        assert request.headers["Authorization"] == "Bearer t1"
        return httpx.Response(200, json={"ok": True})

    async def use(client: NationalPlatform) -> None:
        await client.citizen(PERSON)
        await client.catalog_item("dmdc", "DanToc", "01")
        await client.catalog_search("dmdc", "Tinh", "Phú Yên")
        await client.catalog_item("dmdc", None, "01")
        await client.sync_dossier({"MaHoSo": "X"})

    _, platform = await call(api, use)
    assert seen == [
        f"GET /dancu/1.0/congdan/{PERSON}?",
        "GET /dmdc/1.0/DanToc/01?",
        "GET /dmdc/1.0/Tinh?tuKhoa=Ph%C3%BA+Y%C3%AAn",
        "GET /dmdc/1.0/01?",
        "POST /dvcqg/2.0/hoso/dongbo?",
    ]
    assert platform.tokens == 1


async def test_a_refused_token_is_replaced_and_the_call_made_once_more() -> None:
    def api(request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"] == "Bearer t1":
            return httpx.Response(
                401,
                json={"error": "invalid_token"},
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        return httpx.Response(200, json={"soDinhDanh": PERSON})

    answer, platform = await call(api, citizen)
    assert answer == {"soDinhDanh": PERSON}
    assert platform.tokens == 2
    assert len(platform.requests) == 4  # token, refused call, token, call


async def test_a_fresh_token_refused_too_is_transient() -> None:
    def api(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": "invalid_token"})

    with pytest.raises(TransientDeliveryError) as caught:
        await call(api, citizen)
    assert caught.value.status_code == 401


@pytest.mark.parametrize(
    ("answer", "kind", "said"),
    [
        (httpx.Response(500, text="Internal Server Error"), TransientDeliveryError, "500"),
        (httpx.Response(503, json={"error": "busy"}), TransientDeliveryError, "503 busy"),
        (httpx.Response(429), TransientDeliveryError, "429"),
        (httpx.Response(200, text="<html>"), TransientDeliveryError, "not a JSON object"),
        (
            httpx.Response(403, json={"ErrorCode": "FORBIDDEN", "ErrorDesc": f"no {PERSON}"}),
            PermanentDeliveryError,
            "403 FORBIDDEN",
        ),
        (httpx.Response(404, text="Not Found"), PermanentDeliveryError, "404"),
        (httpx.Response(401, json={"error": "insufficient_scope"}), PermanentDeliveryError, "401"),
    ],
)
async def test_answers_are_translated(
    answer: httpx.Response, kind: type[Exception], said: str
) -> None:
    with pytest.raises(kind) as caught:
        await call(lambda _: answer, citizen)
    assert said in str(caught.value)
    assert PERSON not in str(caught.value)
    assert PERSON not in str(getattr(caught.value, "target", ""))


@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectError(f"refused {PERSON}"),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("x"),
    ],
)
async def test_transport_errors_are_transient(error: Exception) -> None:
    def api(request: httpx.Request) -> httpx.Response:
        raise error

    with pytest.raises(TransientDeliveryError) as caught:
        await call(api, citizen)
    assert PERSON not in str(caught.value)


async def test_a_404_with_the_platforms_error_is_not_found() -> None:
    def api(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"ErrorCode": "CITIZEN_NOT_FOUND", "ErrorDesc": "none"})

    answer, _ = await call(api, citizen)
    assert answer is None


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        (httpx.Response(409, json={"ErrorCode": "STATUS_OUT_OF_ORDER"}), PermanentDeliveryError),
        (httpx.Response(400, json={"ErrorCode": "INVALID_DOSSIER"}), PermanentDeliveryError),
        (httpx.Response(200, json={"ErrorCode": "1", "ErrorDesc": "sai"}), PermanentDeliveryError),
        (httpx.Response(404, json={"ErrorCode": "NOPE"}), PermanentDeliveryError),
        (httpx.Response(502), TransientDeliveryError),
    ],
)
async def test_dossier_sync_refusals(answer: httpx.Response, kind: type[Exception]) -> None:
    with pytest.raises(kind):
        await call(lambda _: answer, lambda client: client.sync_dossier({"MaHoSo": "X"}))


async def test_dossier_sync_takes_any_2xx() -> None:
    ok, _ = await call(lambda _: httpx.Response(200, json={"ErrorCode": "0"}), _sync)
    assert ok == {"ErrorCode": "0"}
    empty, _ = await call(lambda _: httpx.Response(204), _sync)
    assert empty == {}


def _sync(client: NationalPlatform) -> Any:
    return client.sync_dossier({"MaHoSo": "X"})
