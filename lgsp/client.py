"""The vendor SDK: a small typed client for the lgsp HTTP API, on httpx.

    async with Client("https://lgsp.example.gov.vn", api_key="lgsp_key_...") as lgsp:
        accepted = await lgsp.send("document.send", ["000.00.01.H41"], body)
        message = await lgsp.message(accepted.id)
        citizen = await lgsp.request("national.citizen_lookup", {"personal_id": "0010..."})

Every error answer is raised as ``ApiError`` carrying the problem details (``status``, ``detail``
and, for invalid messages, ``errors`` naming each field). Pass ``transport=`` to test without a
network (``httpx.MockTransport``). A lookup that gets no answer in time is an ``ApiError`` with
status 504; one whose far side failed, 502.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any

import httpx

__all__ = ["Accepted", "Answer", "ApiError", "Client"]


@dataclass(frozen=True, slots=True)
class Accepted:
    id: str
    status: str
    location: str


@dataclass(frozen=True, slots=True)
class Answer:
    """The answer to a lookup: ``found`` false (and ``answer`` ``None``) when there is no such
    record."""

    id: str
    type: str
    found: bool
    answer: dict[str, Any] | None


@dataclass(slots=True)
class ApiError(Exception):
    """An error answer from lgsp, as its problem details."""

    status: int
    title: str
    detail: str
    errors: list[dict[str, Any]] = field(default_factory=list)

    def __str__(self) -> str:
        fields = "; ".join(
            f"{'.'.join(map(str, e.get('loc', [])))}: {e.get('msg')}" for e in self.errors
        )
        return f"{self.status} {self.title}: {self.detail}" + (f" ({fields})" if fields else "")


class Client:
    def __init__(
        self,
        base_url: str,
        *,
        api_key: str,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url,
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=timeout,
            transport=transport,
        )

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def send(
        self,
        type: str,
        recipients: list[str],
        body: dict[str, Any],
        *,
        idempotency_key: str | None = None,
        correlation_id: str | None = None,
        priority: int | None = None,
    ) -> Accepted:
        """Submit a message; returns once lgsp has accepted it durably (202)."""
        payload: dict[str, Any] = {"type": type, "recipients": recipients, "body": body}
        if correlation_id is not None:
            payload["correlation_id"] = correlation_id
        if priority is not None:
            payload["priority"] = priority
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        response = await self._http.post("/v1/messages", json=payload, headers=headers)
        data = _checked(response)
        return Accepted(data["id"], data["status"], response.headers.get("Location", ""))

    async def request(
        self, type: str, body: dict[str, Any], deadline: datetime | None = None
    ) -> Answer:
        """Ask a lookup (``national.citizen_lookup``, ``civil_status.lookup``, ...) and wait for
        its answer, until ``deadline`` (timezone-aware) or lgsp's own limit. Lookups are not
        kept: there is nothing to read back later. Set the client's ``timeout`` longer than the
        wait, or the client gives up first."""
        payload: dict[str, Any] = {"type": type, "body": body}
        if deadline is not None:
            payload["deadline"] = deadline.isoformat()
        data = _checked(await self._http.post("/v1/requests", json=payload))
        return Answer(data["id"], data["type"], bool(data["found"]), data.get("answer"))

    async def message(self, message_id: str) -> dict[str, Any]:
        """The message's status and history (only its sender and recipients may read it)."""
        result: dict[str, Any] = _checked(await self._http.get(f"/v1/messages/{message_id}"))
        return result


def _checked(response: httpx.Response) -> Any:
    if response.is_success:
        return response.json()
    try:
        problem = response.json()
    except ValueError:
        problem = {}
    raise ApiError(
        status=response.status_code,
        title=str(problem.get("title", response.reason_phrase)),
        detail=str(problem.get("detail", response.text[:200])),
        errors=list(problem.get("errors", [])),
    )
