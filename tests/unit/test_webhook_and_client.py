"""Webhook signing and classification; the SDK against a mock transport."""

from __future__ import annotations

import json

import httpx
import pytest

from lgsp.adapters.webhook import post_webhook, sign, verify
from lgsp.client import ApiError, Client
from lgsp.errors import PermanentDeliveryError, TransientDeliveryError


def test_signature_is_hmac_of_timestamp_dot_body() -> None:
    import hashlib
    import hmac

    expected = hmac.new(b"s3cret", b"1700000000.{}", hashlib.sha256).hexdigest()
    assert sign("s3cret", "1700000000", b"{}") == f"sha256={expected}"
    assert verify("s3cret", "1700000000", b"{}", f"sha256={expected}")
    assert not verify("other", "1700000000", b"{}", f"sha256={expected}")
    assert not verify("s3cret", "1700000001", b"{}", f"sha256={expected}")


def transport(status: int, seen: list[httpx.Request] | None = None) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return httpx.Response(status, text="answer")

    return httpx.MockTransport(handle)


async def deliver(status: int, seen: list[httpx.Request] | None = None) -> int:
    async with httpx.AsyncClient(transport=transport(status, seen)) as http:
        call = await post_webhook(
            http,
            "http://hook.test/x",
            secret="k",
            body=b'{"a":1}',
            message_id="m1",
            message_type="document.send",
            timeout=1,
        )
        return call.status_code


async def test_webhook_2xx_is_delivered_with_signed_headers() -> None:
    seen: list[httpx.Request] = []
    assert await deliver(204, seen) == 204
    headers = seen[0].headers
    assert headers["X-LGSP-Message-Id"] == "m1"
    assert headers["X-LGSP-Type"] == "document.send"
    assert verify("k", headers["X-LGSP-Timestamp"], b'{"a":1}', headers["X-LGSP-Signature"])


@pytest.mark.parametrize("status", [400, 401, 404, 410, 422])
async def test_webhook_4xx_is_permanent(status: int) -> None:
    with pytest.raises(PermanentDeliveryError) as caught:
        await deliver(status)
    assert caught.value.status_code == status


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503])
async def test_webhook_5xx_408_429_are_transient(status: int) -> None:
    with pytest.raises(TransientDeliveryError):
        await deliver(status)


async def test_webhook_connection_error_is_transient() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as http:
        with pytest.raises(TransientDeliveryError):
            await post_webhook(
                http,
                "http://hook.test/x",
                secret="k",
                body=b"{}",
                message_id="m",
                message_type="t",
                timeout=1,
            )


async def test_client_send_and_errors() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        assert request.headers["Authorization"] == "Bearer key"
        if request.method == "POST":
            sent = json.loads(request.content)
            if sent["recipients"] == ["bad"]:
                return httpx.Response(
                    422,
                    json={
                        "type": "x",
                        "title": "Invalid message",
                        "status": 422,
                        "detail": "d",
                        "errors": [{"loc": ["recipients", 0], "msg": "m", "type": "agency_code"}],
                    },
                    headers={"Content-Type": "application/problem+json"},
                )
            assert request.headers["Idempotency-Key"] == "k1"
            return httpx.Response(
                202,
                json={"id": "m1", "status": "accepted"},
                headers={"Location": "/v1/messages/m1"},
            )
        return httpx.Response(200, json={"id": "m1", "status": "delivered", "events": []})

    async with Client(
        "http://lgsp.test", api_key="key", transport=httpx.MockTransport(handle)
    ) as client:
        accepted = await client.send("document.send", ["000.00.12.H41"], {}, idempotency_key="k1")
        assert (accepted.id, accepted.location) == ("m1", "/v1/messages/m1")
        assert (await client.message("m1"))["status"] == "delivered"
        with pytest.raises(ApiError) as caught:
            await client.send("document.send", ["bad"], {})
    assert caught.value.status == 422
    assert caught.value.errors[0]["loc"] == ["recipients", 0]
    assert "recipients.0" in str(caught.value)
