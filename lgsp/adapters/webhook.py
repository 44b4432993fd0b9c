"""Webhook delivery: sign, POST, and classify the answer.

The signature lets a receiver check a call came from its LGSP and was not replayed later:
``X-LGSP-Signature: sha256=<hex HMAC-SHA256 of "{timestamp}.{body}">`` keyed with the system's
webhook secret, ``X-LGSP-Timestamp`` in Unix seconds.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

import httpx

from lgsp.errors import PermanentDeliveryError, TransientDeliveryError

__all__ = ["WebhookCall", "post_webhook", "sign", "verify"]


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver does: constant-time comparison of the expected signature."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


@dataclass(frozen=True, slots=True)
class WebhookCall:
    status_code: int
    duration_ms: int


async def post_webhook(
    http: httpx.AsyncClient,
    url: str,
    *,
    secret: str,
    body: bytes,
    message_id: str,
    message_type: str,
    content_type: str = "application/json",
    timeout: float,  # noqa: ASYNC109 - a per-call HTTP timeout, passed on to httpx
) -> WebhookCall:
    """POST ``body`` to ``url``; a 2xx is delivered, anything else raises a ``DeliveryError``.

    4xx other than 408/429 is permanent (the receiver refuses this message); 5xx, 408, 429,
    timeouts and connection errors are transient.
    """
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": content_type,
        "X-LGSP-Message-Id": message_id,
        "X-LGSP-Type": message_type,
        "X-LGSP-Timestamp": timestamp,
        "X-LGSP-Signature": sign(secret, timestamp, body),
    }
    started = time.perf_counter()
    try:
        response = await http.post(url, content=body, headers=headers, timeout=timeout)
    except httpx.TimeoutException as exc:
        raise TransientDeliveryError(f"webhook timed out after {timeout}s", target=url) from exc
    except httpx.HTTPError as exc:
        raise TransientDeliveryError(f"webhook unreachable: {exc!r}", target=url) from exc
    duration_ms = int((time.perf_counter() - started) * 1000)
    status = response.status_code
    if 200 <= status < 300:
        return WebhookCall(status, duration_ms)
    reason = f"webhook answered {status}: {response.text[:200]}"
    if 400 <= status < 500 and status not in (408, 429):
        raise PermanentDeliveryError(reason, target=url, status_code=status)
    raise TransientDeliveryError(reason, target=url, status_code=status)
