"""The national data platform's APIs (NGSP/NDXP) as lgsp calls them, over one ``httpx`` client.

Paths are versioned, ``/<api>/<version>/<resource>``, with the API pieces from settings::

    GET  /{national_citizen_api}/congdan/{personal_id}                  population lookup
    GET  /{catalog}/{national_catalog_version}/{list_code}/{item_code}  shared catalogue item
    GET  /{catalog}/{national_catalog_version}/{list_code}?tuKhoa=...   shared catalogue search
    POST /{national_portal_api}/hoso/dongbo                             dossier sync (Cổng DVCQG)

(a catalogue lookup without a list code leaves that piece out). Every call carries a bearer
token from ``TokenSource``. A ``401 invalid_token`` (the token expired on the platform's clock
before ours, or the platform forgot it) drops that token and the call is made once more with a
fresh one: a token expiring in the middle of traffic fails no call, and concurrent calls that
all hit the expiry share one refresh.

Failures are translated here, at the boundary; ``target`` names the API, never a personal ID::

    TransientDeliveryError   timeouts, connection errors, 5xx, 408, 429, a fresh token refused
    PermanentDeliveryError   other 4xx refusals, with the platform's ErrorCode and ErrorDesc;
                             bad client credentials at /token
    None (lookups only)      404 with the platform's error body: no such citizen, list or item

Not for: what the answers mean in lgsp's words (``lgsp.adapters.national.answers``), the portal's
dossier fields (``lgsp.adapters.national.portal``) or retries (the adapter's policy).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import httpx

from lgsp.adapters.national.token import TokenSource
from lgsp.errors import DeliveryError, PermanentDeliveryError, TransientDeliveryError
from lgsp.logs import mask_text
from lgsp.settings import Settings

__all__ = ["NationalPlatform"]

_RETRYABLE_4XX = frozenset({408, 429})

JSON = dict[str, Any]


class NationalPlatform:
    """A client of the national data platform for one LGSP (one OAuth2 client)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        tokens: TokenSource,
        *,
        citizen_api: str = "dancu/1.0",
        catalog_version: str = "1.0",
        portal_api: str = "dvcqg/1.0",
        timeout: float = 10.0,
    ) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._tokens = tokens
        self._citizen_api = citizen_api.strip("/")
        self._catalog_version = catalog_version.strip("/")
        self._portal_api = portal_api.strip("/")
        self._timeout = timeout

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        http: httpx.AsyncClient,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> NationalPlatform:
        """The platform at ``LGSP_NATIONAL_PLATFORM_URL``; ``clock`` times its tokens."""
        base = settings.national_platform_url.rstrip("/")
        tokens = TokenSource(
            http,
            f"{base}/token",
            client_id=settings.national_client_id,
            client_secret=settings.national_client_secret,
            clock=clock,
            timeout=settings.webhook_timeout,
        )
        return cls(
            http,
            base,
            tokens,
            citizen_api=settings.national_citizen_api,
            catalog_version=settings.national_catalog_version,
            portal_api=settings.national_portal_api,
            timeout=settings.webhook_timeout,
        )

    def __repr__(self) -> str:
        return f"NationalPlatform({self._base!r})"

    @property
    def sync_target(self) -> str:
        """The dossier sync endpoint: what its circuit breaker and attempts are named by."""
        return f"{self._base}/{self._portal_api}/hoso/dongbo"

    # -- lookups ----------------------------------------------------------------------------

    async def citizen(self, personal_id: str) -> JSON | None:
        """The population database's record of ``personal_id`` as the platform spells it, or
        ``None`` when it knows no such person."""
        target = f"{self._base}/{self._citizen_api}/congdan"
        response = await self._call("GET", f"{target}/{_piece(personal_id)}", target=target)
        return _lookup_answer(response, target)

    async def catalog_item(
        self, catalog: str, list_code: str | None, item_code: str
    ) -> JSON | None:
        """One item of a shared catalogue list, or ``None`` when there is no such list or item."""
        target = self._catalog_url(catalog, list_code)
        response = await self._call("GET", f"{target}/{_piece(item_code)}", target=target)
        return _lookup_answer(response, target)

    async def catalog_search(self, catalog: str, list_code: str | None, query: str) -> JSON | None:
        """The items of a shared catalogue list matching ``query`` (``tuKhoa``), or ``None``
        when there is no such list."""
        target = self._catalog_url(catalog, list_code)
        response = await self._call("GET", target, target=target, params={"tuKhoa": query})
        return _lookup_answer(response, target)

    # -- the public service portal ----------------------------------------------------------

    async def sync_dossier(self, record: Mapping[str, Any]) -> JSON:
        """Send one dossier state (portal field names) to ``/hoso/dongbo``; the portal's answer.

        A 2xx whose body carries a non-zero ``ErrorCode`` is a refusal, as the portal reports
        some of them that way.
        """
        target = self.sync_target
        response = await self._call("POST", target, target=target, json=record)
        if not response.is_success:
            raise _refusal(response, target)
        try:
            answer = response.json()
        except ValueError:
            return {}  # a 2xx took the dossier; its body is the portal's business
        if not isinstance(answer, dict):
            return {}
        code = answer.get("ErrorCode")
        if code is not None and str(code) != "0":
            raise PermanentDeliveryError(
                mask_text(f"the portal refused the dossier ({code}: {answer.get('ErrorDesc')})"),
                target=target,
                status_code=response.status_code,
            )
        return answer

    # -- internals --------------------------------------------------------------------------

    def _catalog_url(self, catalog: str, list_code: str | None) -> str:
        url = f"{self._base}/{_piece(catalog)}/{self._catalog_version}"
        return f"{url}/{_piece(list_code)}" if list_code else url

    async def _call(
        self,
        method: str,
        url: str,
        *,
        target: str,
        params: Mapping[str, str] | None = None,
        json: Mapping[str, Any] | None = None,
    ) -> httpx.Response:
        token = await self._tokens.token()
        response = await self._send(method, url, token, target, params, json)
        if not _token_refused(response):
            return response
        # Expired on the platform's clock before ours (or forgotten): one fresh token, one retry.
        self._tokens.invalidate(token)
        token = await self._tokens.token()
        response = await self._send(method, url, token, target, params, json)
        if _token_refused(response):
            raise TransientDeliveryError(
                "the national platform refused a freshly issued access token",
                target=target,
                status_code=401,
            )
        return response

    async def _send(
        self,
        method: str,
        url: str,
        token: str,
        target: str,
        params: Mapping[str, str] | None,
        json: Mapping[str, Any] | None,
    ) -> httpx.Response:
        try:
            return await self._http.request(
                method,
                url,
                params=params,
                json=json,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                timeout=self._timeout,
            )
        except httpx.HTTPError as exc:
            # The exception's text may quote the URL, and a lookup's URL holds a personal ID.
            raise TransientDeliveryError(
                f"the national platform did not answer ({type(exc).__name__})", target=target
            ) from exc


def _piece(value: str) -> str:
    """One URL path piece: the schemas keep these to a safe alphabet, quoting makes sure."""
    return quote(value, safe="")


def _token_refused(response: httpx.Response) -> bool:
    if response.status_code != 401:
        return False
    if "invalid_token" in response.headers.get("WWW-Authenticate", ""):
        return True
    error, _ = _error_of(response)
    return error == "invalid_token"


def _lookup_answer(response: httpx.Response, target: str) -> JSON | None:
    if response.status_code == 404 and _error_of(response) != (None, None):
        return None  # the platform says no such record (its own error body, not a bare 404)
    if not response.is_success:
        raise _refusal(response, target)
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise TransientDeliveryError(
            "the national platform answered something that is not a JSON object",
            target=target,
            status_code=response.status_code,
        )
    return answer


def _refusal(response: httpx.Response, target: str) -> DeliveryError:
    status = response.status_code
    code, description = _error_of(response)
    said = f" {code}" if code else ""
    if description:
        said += f": {description}"
    reason = mask_text(f"the national platform answered {status}{said}")
    if status >= 500 or status in _RETRYABLE_4XX:
        return TransientDeliveryError(reason, target=target, status_code=status)
    return PermanentDeliveryError(reason, target=target, status_code=status)


def _error_of(response: httpx.Response) -> tuple[str | None, str | None]:
    """The platform's error code and description: ``{ErrorCode, ErrorDesc}`` on its APIs,
    OAuth2's ``{error, error_description}`` on bearer failures."""
    try:
        body = response.json()
    except ValueError:
        return None, None
    if not isinstance(body, dict):
        return None, None
    code = body.get("ErrorCode", body.get("error"))
    description = body.get("ErrorDesc", body.get("error_description"))
    return (
        str(code) if code is not None else None,
        str(description)[:300] if description is not None else None,
    )
