"""OAuth2 client-credentials access tokens for the national data platform (NGSP/NDXP).

``TokenSource.token()`` answers a cached token and fetches a new one from ``/token`` (HTTP Basic
``client_id:secret``, form ``grant_type=client_credentials``) when there is none, or when the
cached one is within ``refresh_margin`` seconds of expiry; the margin is capped at half the
token's lifetime so a short-lived token is still used for a while. Only one fetch runs at a time:
concurrent callers share one in-flight request (a shared task), and share its failure too. If a
refresh fails while the cached token is still alive, callers keep getting the cached token.
``invalidate(token)`` drops a token the server refused (401), so the next call fetches anew.

Failures, with ``target`` set to the token URL::

    TransientDeliveryError      transport errors and timeouts, 5xx, 408, 429, an unreadable answer
    PermanentDeliveryError      400 / 401 / other 4xx: bad credentials or a refused grant

The secret is sent only in the Basic header and is never logged or shown in ``repr``.

Not for: calling the platform's APIs (callers add ``Authorization: Bearer`` themselves), or
building an ``httpx.AsyncClient`` (one is passed in).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
import structlog

from lgsp.errors import PermanentDeliveryError, TransientDeliveryError

__all__ = ["TokenSource"]

log = structlog.get_logger(__name__)

_RETRYABLE_4XX = frozenset({408, 429})


class TokenSource:
    """A cached, single-flight source of bearer tokens for one client of the platform."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        token_url: str,
        *,
        client_id: str,
        client_secret: str,
        refresh_margin: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        timeout: float = 10.0,
    ) -> None:
        if refresh_margin < 0:
            raise ValueError("refresh_margin must be >= 0")
        self._http = http
        self._url = token_url
        self._client_id = client_id
        self._secret = client_secret
        self._margin = refresh_margin
        self._clock = clock
        self._timeout = timeout
        self._token: str | None = None
        self._refresh_at = 0.0
        self._expires_at = 0.0
        self._inflight: asyncio.Task[str] | None = None

    def __repr__(self) -> str:
        return f"TokenSource({self._url!r}, client_id={self._client_id!r})"  # never the secret

    def _alive(self) -> str | None:
        """The cached token if it has not expired yet."""
        if self._token is not None and self._clock() < self._expires_at:
            return self._token
        return None

    async def token(self) -> str:
        """A live access token: the cached one, or one fetched (once for all concurrent callers)."""
        if self._token is not None and self._clock() < self._refresh_at:
            return self._token
        task = self._inflight
        if task is None:
            task = asyncio.get_running_loop().create_task(self._fetch())
            task.add_done_callback(self._fetched)
            self._inflight = task
        try:
            # shield: one caller cancelled must not cancel the fetch the others wait for.
            return await asyncio.shield(task)
        except TransientDeliveryError:
            alive = self._alive()
            if alive is not None:
                log.warning("national.token.refresh_failed_using_cached", url=self._url)
                return alive
            raise

    def invalidate(self, token: str | None = None) -> None:
        """Forget ``token`` (a server refused it); with no argument, forget whatever is cached.

        Passing the refused token keeps a newer token another caller already fetched.
        """
        if token is None or token == self._token:
            self._token = None
            self._refresh_at = self._expires_at = 0.0

    def _fetched(self, task: asyncio.Task[str]) -> None:
        if self._inflight is task:
            self._inflight = None
        if not task.cancelled():
            task.exception()  # retrieved here so a fetch nobody awaits any more stays quiet

    async def _fetch(self) -> str:
        started = self._clock()
        try:
            response = await self._http.post(
                self._url,
                data={"grant_type": "client_credentials"},
                auth=(self._client_id, self._secret),
                headers={"Accept": "application/json"},
                timeout=self._timeout,
            )
        except httpx.HTTPError as exc:
            raise TransientDeliveryError(
                f"the national platform's token endpoint did not answer ({type(exc).__name__})",
                target=self._url,
            ) from exc
        status = response.status_code
        if status >= 500 or status in _RETRYABLE_4XX:
            raise TransientDeliveryError(
                f"the national platform's token endpoint answered {status}",
                target=self._url,
                status_code=status,
            )
        if status >= 400:
            raise PermanentDeliveryError(
                "the national platform's token endpoint refused the client "
                f"({status} {_oauth_error(response)})",
                target=self._url,
                status_code=status,
            )
        token, lifetime = self._read(response)
        margin = min(self._margin, lifetime / 2)
        self._token = token
        self._expires_at = started + lifetime
        self._refresh_at = started + lifetime - margin
        log.info("national.token.fetched", client_id=self._client_id, expires_in=lifetime)
        return token

    def _read(self, response: httpx.Response) -> tuple[str, float]:
        try:
            body: Any = response.json()
        except ValueError as exc:
            raise TransientDeliveryError(
                "the national platform's token endpoint answered something that is not JSON",
                target=self._url,
                status_code=response.status_code,
            ) from exc
        token = body.get("access_token") if isinstance(body, dict) else None
        lifetime = body.get("expires_in") if isinstance(body, dict) else None
        token_type = body.get("token_type", "Bearer") if isinstance(body, dict) else None
        if (
            not isinstance(token, str)
            or not token
            or isinstance(lifetime, bool)
            or not isinstance(lifetime, int | float)
            or lifetime <= 0
            or not isinstance(token_type, str)
            or token_type.lower() != "bearer"
        ):
            raise TransientDeliveryError(
                "the national platform's token endpoint answered without a bearer access_token "
                "and a positive expires_in",
                target=self._url,
                status_code=response.status_code,
            )
        return token, float(lifetime)


def _oauth_error(response: httpx.Response) -> str:
    """The OAuth2 ``error`` code of a refusal, if the answer names one."""
    try:
        body = response.json()
    except ValueError:
        return "no error code"
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, str) else "no error code"
