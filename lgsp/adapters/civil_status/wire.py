"""One call to a far side of the civil-status axis, and what its answer means for a delivery.

The Ministry of Justice's civil-status service and the agencies of the joined procedures (the
residence registry, health insurance, funeral allowance) all take a JSON ``POST`` with an API key
header and answer HTTP 200 ``{status: "OK"|"FAIL", errorCode, errorMessage, data}``. What an answer
means, decided here once::

    errorCode 0                                  success
    200 incomplete, 201 not found,               ServiceRefused (permanent): this dossier, as
    302 bad data type, 500 bad data,             sent, will never pass; dead letter with the
    106 wrong agency                             far side's code and message
    100 authentication, 101 IP not allowed       ServiceTrouble (transient): the platform's own
                                                 configuration; an operator fixes it, then
                                                 retries pass
    999, any other code; HTTP 5xx, 408, 429,     ServiceTrouble (transient)
    401, 403; timeouts, refused connections,
    an answer that is not that JSON
    any other HTTP 4xx (a wrong URL)             ServiceRefused (permanent)

httpx's exceptions end here, translated with ``raise ... from``. Reasons name the service, the code
and the far side's message with any personal ID number masked; never a person's data.

Not for: what a request carries (``lgsp.adapters.civil_status.mapping`` and ``.agencies``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

from lgsp.errors import PermanentDeliveryError, TransientDeliveryError
from lgsp.logs import mask_text

__all__ = [
    "PERMANENT_CODES",
    "ServiceAnswer",
    "ServiceRefused",
    "ServiceTrouble",
    "call_service",
    "raise_for_code",
]

PERMANENT_CODES: dict[int, str] = {
    106: "wrong agency",
    200: "incomplete",
    201: "not found",
    302: "bad data type",
    500: "bad data",
}
"""Codes no later attempt can change."""

_KNOWN_TRANSIENT: dict[int, str] = {
    100: "authentication failed",
    101: "IP not allowed",
    999: "try again later",
}
_MAX_MESSAGE = 200


class ServiceRefused(PermanentDeliveryError):
    """The far side refused for good; ``code`` and ``message`` are its own (``None`` for HTTP)."""

    def __init__(
        self,
        reason: str,
        *,
        target: str,
        code: int | None = None,
        message: str | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(reason, target=target, status_code=status_code)
        self.code = code
        self.message = message


class ServiceTrouble(TransientDeliveryError):
    """The far side failed, or could not be reached; worth another attempt."""

    def __init__(
        self,
        reason: str,
        *,
        target: str,
        code: int | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(reason, target=target, status_code=status_code)
        self.code = code


@dataclass(frozen=True, slots=True)
class ServiceAnswer:
    """A well-formed answer, whatever its code."""

    code: int
    message: str
    data: Any
    duration_ms: int


async def call_service(
    http: httpx.AsyncClient,
    url: str,
    *,
    service: str,
    body: dict[str, Any],
    headers: dict[str, str],
    timeout: float,  # noqa: ASYNC109 - a per-call HTTP timeout, passed on to httpx
) -> ServiceAnswer:
    """POST ``body`` to ``url`` and read the answer; raises ``ServiceTrouble`` or
    ``ServiceRefused`` when there is no well-formed answer (codes are left to the caller)."""
    started = time.perf_counter()
    try:
        response = await http.post(url, json=body, headers=headers, timeout=timeout)
    except httpx.TimeoutException as exc:
        raise ServiceTrouble(f"{service} timed out after {timeout}s", target=url) from exc
    except httpx.HTTPError as exc:
        raise ServiceTrouble(f"{service} unreachable ({type(exc).__name__})", target=url) from exc
    duration_ms = int((time.perf_counter() - started) * 1000)
    status = response.status_code
    if status != 200:
        reason = f"{service} answered HTTP {status}"
        if 400 <= status < 500 and status not in (401, 403, 408, 429):
            raise ServiceRefused(reason, target=url, status_code=status)
        raise ServiceTrouble(reason, target=url, status_code=status)
    try:
        answer = response.json()
        code = int(answer["errorCode"])
        message = str(answer.get("errorMessage") or "")
        data = answer.get("data")
    except (ValueError, KeyError, TypeError) as exc:
        raise ServiceTrouble(f"{service} gave an unreadable answer", target=url) from exc
    return ServiceAnswer(code, mask_text(message)[:_MAX_MESSAGE], data, duration_ms)


def raise_for_code(answer: ServiceAnswer, *, service: str, target: str) -> None:
    """Return on success (code 0); raise what a failure code means (see the module's table)."""
    if answer.code == 0:
        return
    said = f": {answer.message}" if answer.message else ""
    meaning = PERMANENT_CODES.get(answer.code)
    if meaning is not None:
        raise ServiceRefused(
            f"{service} refused it with code {answer.code} ({meaning}){said}",
            target=target,
            code=answer.code,
            message=answer.message,
        )
    meaning = _KNOWN_TRANSIENT.get(answer.code, "unknown code")
    raise ServiceTrouble(
        f"{service} failed with code {answer.code} ({meaning}){said}",
        target=target,
        code=answer.code,
    )
