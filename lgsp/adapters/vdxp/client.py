"""A client of the national document axis (VDXP, trục liên thông văn bản quốc gia).

It speaks to the axis the way the Government Office's Java SDK 2.0.1 does: ``POST {base}/{op}``
with every parameter in signed ``XroadVnpt-*`` headers (see ``lgsp.adapters.vdxp.signing``),
``sendEdoc`` carrying the raw edXML, the other calls ``{}``. Every answer is JSON with ``status``
(``OK``/``FAIL``), ``ErrorCode`` (``"0"`` is success), ``ErrorDesc``, ``data`` and ``DocId``.

Failures become the platform's delivery errors, with ``target`` set to the operation's URL::

    TransientDeliveryError          retry later
    └── VdxpTryLater                transport errors, timeouts, 5xx, 408, 429, an unreadable
                                    answer, FAIL with a code not listed as permanent (e.g. 999)
    PermanentDeliveryError          dead letter
    └── VdxpRefused                 other 4xx; FAIL with a permanent code (``PERMANENT_CODES``):
                                    bad signature, unknown system, malformed request...

``VdxpErrorCode`` names the codes lgsp reads (the simulator answers with the same ones). The
secret never leaves this object except as an HMAC; it is never logged.

Not for: polling schedules, edXML parsing or delivery inside the province (the adapter does that);
building its own ``httpx.AsyncClient`` (one is passed in).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

import httpx

from lgsp.adapters.vdxp.signing import signed_headers
from lgsp.errors import PermanentDeliveryError, TransientDeliveryError

__all__ = [
    "PERMANENT_CODES",
    "ReceivedEdoc",
    "SentEdoc",
    "ServiceType",
    "TransportStatus",
    "VdxpAgency",
    "VdxpClient",
    "VdxpErrorCode",
    "VdxpRefused",
    "VdxpTryLater",
]

ServiceType = Literal["eDoc", "status"]
TransportStatus = Literal["done", "fail", "processing"]

JSON = "application/json"
OCTETS = "application/octet-stream"


class VdxpErrorCode(StrEnum):
    """``ErrorCode`` values of an axis answer, as lgsp (and its simulator) reads them."""

    OK = "0"
    MISSING_HEADER = "101"  # a required XroadVnpt-* header is absent or malformed
    UNKNOWN_SYSTEM = "102"  # XroadVnpt-systemid is not registered on the axis
    BAD_SIGNATURE = "103"  # sign-header / hash-header do not match the call
    HASH_MISMATCH = "104"  # XroadVnpt-hash-file is not the SHA-256 of the body
    UNKNOWN_DOC = "105"  # no such docId, or not addressed to / sent by the caller
    BAD_PACKAGE = "106"  # the body is not an edXML package with a recipient
    UNKNOWN_AGENCY = "107"  # a recipient agency is not registered on the axis
    NOT_PERMITTED = "108"  # XroadVnpt-from is not an agency of the calling system
    TRY_LATER = "999"  # the axis is busy or failing inside: try again later


PERMANENT_CODES = frozenset(
    {
        VdxpErrorCode.MISSING_HEADER,
        VdxpErrorCode.UNKNOWN_SYSTEM,
        VdxpErrorCode.BAD_SIGNATURE,
        VdxpErrorCode.HASH_MISMATCH,
        VdxpErrorCode.UNKNOWN_DOC,
        VdxpErrorCode.BAD_PACKAGE,
        VdxpErrorCode.UNKNOWN_AGENCY,
        VdxpErrorCode.NOT_PERMITTED,
    }
)
"""Codes no retry can change. Any other non-zero code is taken as "try later": a retry is
bounded by the delivery limit, while a wrong "permanent" would park a deliverable document."""


class VdxpTryLater(TransientDeliveryError):
    """The axis could not take the call now; ``error_code`` when it answered FAIL."""

    def __init__(
        self,
        reason: str,
        *,
        target: str,
        status_code: int | None = None,
        error_code: str | None = None,
    ) -> None:
        super().__init__(reason, target=target, status_code=status_code)
        self.error_code = error_code


class VdxpRefused(PermanentDeliveryError):
    """The axis refused the call for a reason no retry changes; ``error_code`` when FAIL."""

    def __init__(
        self,
        reason: str,
        *,
        target: str,
        status_code: int | None = None,
        error_code: str | None = None,
    ) -> None:
        super().__init__(reason, target=target, status_code=status_code)
        self.error_code = error_code


@dataclass(frozen=True, slots=True)
class ReceivedEdoc:
    """One entry of ``getReceivedEdocList``; ``sender`` is the list's ``from`` agency code."""

    doc_id: str
    sender: str
    recipients: tuple[str, ...]
    service_type: str
    message_type: str
    created: datetime | None
    status: str | None


@dataclass(frozen=True, slots=True)
class SentEdoc:
    """One entry of ``getSentEdocList``: transport status per recipient agency."""

    doc_id: str
    sender: str
    recipients: tuple[str, ...]
    service_type: str
    message_type: str
    created: datetime | None
    statuses: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class VdxpAgency:
    """One agency the axis knows (``getAgenciesList``)."""

    id: str
    code: str
    name: str
    parent_code: str


def _message_type(service_type: ServiceType) -> str:
    return "edoc" if service_type == "eDoc" else "status"


def _text(item: Mapping[str, Any], *keys: str) -> str:
    for key in keys:
        value = item.get(key)
        if value is not None:
            return str(value)
    return ""


def _codes(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(str(code) for code in value if code)
    if isinstance(value, str):
        return tuple(code.strip() for code in value.split(",") if code.strip())
    return ()


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


class VdxpClient:
    """Calls of one registered system (``system_id`` + ``secret``) on the axis at ``base_url``."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        *,
        system_id: str,
        secret: str,
        timeout: float,
    ) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self.system_id = system_id
        self._secret = secret
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"VdxpClient({self._base!r}, system_id={self.system_id!r})"

    async def send_edoc(self, package: bytes, *, sender: str, service_type: ServiceType) -> str:
        """Send one edXML package (a document or a status package); answers the axis's DocId."""
        answer = await self._call(
            "sendEdoc",
            content=package,
            content_type=OCTETS,
            service_type=service_type,
            message_type=_message_type(service_type),
            sender=sender,
            body=package,
        )
        doc_id = _text(answer, "DocId", "docId")
        if not doc_id:
            raise VdxpTryLater("sendEdoc answered OK without a DocId", target=self._url("sendEdoc"))
        return doc_id

    async def received(self, service_type: ServiceType) -> list[ReceivedEdoc]:
        """Documents (``eDoc``) or status packages (``status``) waiting for this system."""
        answer = await self._call(
            "getReceivedEdocList",
            service_type=service_type,
            message_type=_message_type(service_type),
        )
        return [
            ReceivedEdoc(
                doc_id=_text(item, "id", "docId", "DocId"),
                sender=_text(item, "fromCode", "from"),
                recipients=_codes(item.get("toCode", item.get("to"))),
                service_type=_text(item, "serviceType", "servicetype") or service_type,
                message_type=_text(item, "messageType", "messagetype"),
                created=_when(item.get("createdTime")),
                status=_text(item, "status") or None,
            )
            for item in self._items(answer, "getReceivedEdocList")
        ]

    async def sent(self, service_type: ServiceType) -> list[SentEdoc]:
        """What this system sent, with each recipient's transport status."""
        answer = await self._call(
            "getSentEdocList",
            service_type=service_type,
            message_type=_message_type(service_type),
        )
        return [
            SentEdoc(
                doc_id=_text(item, "id", "docId", "DocId"),
                sender=_text(item, "fromCode", "from"),
                recipients=_codes(item.get("toCode", item.get("to"))),
                service_type=_text(item, "serviceType", "servicetype") or service_type,
                message_type=_text(item, "messageType", "messagetype"),
                created=_when(item.get("createdTime")),
                statuses={str(k): str(v) for k, v in (item.get("statuses") or {}).items()},
            )
            for item in self._items(answer, "getSentEdocList")
        ]

    async def get_edoc(self, doc_id: str) -> bytes:
        """The package as it was sent (``data`` is base64 on the wire)."""
        answer = await self._call("getEdoc", doc_id=doc_id, file_path="xml")
        data = answer.get("data")
        try:
            if not isinstance(data, str):
                raise ValueError("no data")
            return base64.b64decode(data, validate=True)
        except (ValueError, binascii.Error) as exc:
            raise VdxpTryLater(
                f"getEdoc answered OK without a base64 package ({exc})", target=self._url("getEdoc")
            ) from exc

    async def update_status(self, doc_id: str, status: TransportStatus) -> None:
        """Report what became of a received package: ``done`` takes it off the list."""
        await self._call("updateStatus", doc_id=doc_id, status=status)

    async def agencies(self) -> list[VdxpAgency]:
        """The agencies registered on the axis."""
        answer = await self._call("getAgenciesList")
        return [
            VdxpAgency(
                id=_text(item, "id"),
                code=_text(item, "code"),
                name=_text(item, "name"),
                parent_code=_text(item, "pcode"),
            )
            for item in self._items(answer, "getAgenciesList")
        ]

    async def count_received(self, service_type: ServiceType | None = None) -> int:
        """How many packages wait for this system (of one service type, or all)."""
        message_type = _message_type(service_type) if service_type else None
        answer = await self._call(
            "countReceiveEdoc", method="GET", service_type=service_type, message_type=message_type
        )
        data = answer.get("data")
        if isinstance(data, Mapping):
            data = data.get("total")
        try:
            return int(data)  # type: ignore[arg-type]
        except (TypeError, ValueError) as exc:
            raise VdxpTryLater(
                f"countReceiveEdoc answered OK without a count: {data!r}",
                target=self._url("countReceiveEdoc"),
            ) from exc

    # ---------------------------------------------------------------------------------------

    def _url(self, operation: str) -> str:
        return f"{self._base}/{operation}"

    def _items(self, answer: Mapping[str, Any], operation: str) -> list[Mapping[str, Any]]:
        data = answer.get("data")
        if data is None:
            return []
        if not isinstance(data, list) or not all(isinstance(i, Mapping) for i in data):
            raise VdxpTryLater(
                f"{operation} answered a data that is not a list", target=self._url(operation)
            )
        return data

    async def _call(
        self,
        operation: str,
        *,
        method: str = "POST",
        content: bytes | None = None,
        content_type: str = JSON,
        service_type: str | None = None,
        message_type: str | None = None,
        sender: str | None = None,
        doc_id: str | None = None,
        status: str | None = None,
        file_path: str | None = None,
        body: bytes | None = None,
    ) -> Mapping[str, Any]:
        url = self._url(operation)
        headers = signed_headers(
            system_id=self.system_id,
            secret=self._secret,
            content_type=content_type,
            service_type=service_type,
            message_type=message_type,
            sender=sender,
            doc_id=doc_id,
            status=status,
            file_path=file_path,
            body=body,
        )
        if content is None and method == "POST":
            content = b"{}"
        try:
            response = await self._http.request(
                method, url, content=content, headers=headers, timeout=self._timeout
            )
        except httpx.TimeoutException as exc:
            raise VdxpTryLater(f"{operation} timed out after {self._timeout}s", target=url) from exc
        except httpx.HTTPError as exc:
            raise VdxpTryLater(f"{operation} unreachable: {exc!r}", target=url) from exc
        return self._answer(operation, url, response)

    def _answer(self, operation: str, url: str, response: httpx.Response) -> Mapping[str, Any]:
        code = response.status_code
        if code >= 300:
            reason = f"{operation} answered HTTP {code}: {response.text[:200]}"
            if 400 <= code < 500 and code not in (408, 429):
                raise VdxpRefused(reason, target=url, status_code=code)
            raise VdxpTryLater(reason, target=url, status_code=code)
        try:
            answer = json.loads(response.content)
        except ValueError as exc:
            raise VdxpTryLater(
                f"{operation} answered something not JSON: {response.text[:200]!r}",
                target=url,
                status_code=code,
            ) from exc
        if not isinstance(answer, dict):
            raise VdxpTryLater(f"{operation} answered a JSON that is not an object", target=url)
        error_code = str(answer.get("ErrorCode", ""))
        if answer.get("status") == "OK" and error_code in ("0", ""):
            return answer
        reason = f"{operation} answered FAIL {error_code}: {str(answer.get('ErrorDesc', ''))[:200]}"
        if error_code in PERMANENT_CODES:
            raise VdxpRefused(reason, target=url, status_code=code, error_code=error_code)
        raise VdxpTryLater(reason, target=url, status_code=code, error_code=error_code)
