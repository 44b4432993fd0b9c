"""The bridge between the province and the national document axis (VDXP).

Outgoing, ``VdxpAxis`` hands a document (or status) for agencies outside the province to the axis
with ``sendEdoc``. Incoming, ``NationalInbox`` polls ``getReceivedEdocList``, fetches each package
with ``getEdoc``, admits it like any edXML package (hardened parse, signature check), accepts it
for the recipients registered in this province, and reports ``done`` (or ``fail`` for a package
the platform refuses, with the reason kept) with ``updateStatus``.

Restarts never fetch a package twice nor skip one: each fetched package is recorded in the
journal's ``national_inbox`` before it is reported ``done``; a package still listed after a crash
is recognised and only reported again. Acceptance uses the DocId as idempotency key, so even a
crash between accepting and recording produces one message.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
from datetime import UTC, datetime

import httpx
import structlog

from lgsp.adapters.vdxp.client import ServiceType, VdxpClient
from lgsp.documents.formats import DocumentMessage
from lgsp.errors import DeliveryError, LGSPError, NotPermitted, Unavailable, ValidationFailed
from lgsp.intake import Acceptor, admit_edxml
from lgsp.journal import Journal, System
from lgsp.settings import Settings

__all__ = ["BRIDGE_SYSTEM", "NationalInbox", "PackageState", "VdxpAxis"]

log = structlog.get_logger(__name__)

BRIDGE_SYSTEM = System(
    id="national-document-axis",
    agency="000.00.00.G22",  # the Government Office runs the axis
    api_key_hash="-",  # not a caller: it has no key
    webhook_secret="-",
    created_at=datetime(2026, 1, 1, tzinfo=UTC),
    may_send=frozenset(
        {
            "document.send",
            "document.status",
            "document.revoke",
            "document.update",
            "document.replace",
        }
    ),
)
"""The pseudo-system packages from the national axis are accepted as."""


class PackageState(enum.StrEnum):
    """What became of a package fetched from the axis (``national_inbox.state``)."""

    INGESTED = "ingested"
    """Accepted as a message for its recipients here; reported ``done`` to the axis."""
    FAILED = "failed"
    """Refused (invalid, not permitted, no recipient here), with the reason kept; reported
    ``fail``."""


class VdxpAxis:
    """``NationalDocumentAxis`` over a ``VdxpClient``."""

    def __init__(self, client: VdxpClient, target: str) -> None:
        self._client = client
        self.target = target

    @classmethod
    def from_settings(cls, settings: Settings, http: httpx.AsyncClient) -> VdxpAxis:
        return cls(_client(settings, http), settings.national_document_url)

    async def send(self, message: DocumentMessage) -> str:
        service: ServiceType = "status" if message.type == "document.status" else "eDoc"
        return await self._client.send_edoc(
            message.as_edxml(), sender=message.sender, service_type=service
        )


def _client(settings: Settings, http: httpx.AsyncClient) -> VdxpClient:
    return VdxpClient(
        http,
        settings.national_document_url,
        system_id=settings.national_document_system_id,
        secret=settings.national_document_secret,
        timeout=settings.webhook_timeout,
    )


class NationalInbox:
    """Polls the axis and brings what it holds for this province's agencies inside."""

    def __init__(
        self,
        client: VdxpClient,
        journal: Journal,
        acceptor: Acceptor,
        *,
        interval: float,
        max_bytes: int,
        invalid_signature: str = "flag",
    ) -> None:
        self._client = client
        self._journal = journal
        self._acceptor = acceptor
        self._interval = interval
        self._max_bytes = max_bytes
        self._invalid_signature = invalid_signature

    @classmethod
    def from_settings(
        cls, settings: Settings, http: httpx.AsyncClient, journal: Journal, acceptor: Acceptor
    ) -> NationalInbox:
        return cls(
            _client(settings, http),
            journal,
            acceptor,
            interval=settings.national_poll_interval,
            max_bytes=settings.max_document_bytes,
            invalid_signature=settings.invalid_signature,
        )

    async def run(self) -> None:
        """Poll until cancelled; a failed poll is logged and tried again next interval."""
        while True:
            try:
                await self.poll_once()
            except (DeliveryError, Unavailable) as exc:
                log.warning("national_poll_failed", error=str(exc))
            await asyncio.sleep(self._interval)

    async def poll_once(self) -> int:
        """One pass over both lists; returns how many packages were taken in."""
        taken = 0
        services: tuple[ServiceType, ...] = ("eDoc", "status")
        for service in services:
            for item in await self._client.received(service):
                taken += await self._take(item.doc_id, service)
        return taken

    async def _take(self, doc_id: str, service: str) -> int:
        state = await self._journal.inbox_state(doc_id)
        if state is not None:
            # Taken in before a crash or a lost answer: only the report is missing.
            await self._client.update_status(
                doc_id, "done" if state == PackageState.INGESTED else "fail"
            )
            return 0
        package = await self._client.get_edoc(doc_id)
        try:
            admitted = admit_edxml(
                BRIDGE_SYSTEM,
                package,
                max_bytes=self._max_bytes,
                any_sender=True,
                invalid_signature="refuse" if self._invalid_signature == "refuse" else "flag",
            )
            local = [r for r in admitted.recipients if await self._journal.systems.by_agency(r)]
            if not local:
                raise ValidationFailed("no recipient of this package is registered here")
            accepted = await self._acceptor.commit(
                BRIDGE_SYSTEM,
                dataclasses.replace(admitted, recipients=tuple(local)),
                idempotency_key=f"vdxp:{doc_id}",
            )
        except (ValidationFailed, NotPermitted) as exc:
            reason = _reason(exc)
            log.warning("national_package_refused", doc_id=doc_id, reason=reason)
            await self._journal.record_inbox(
                doc_id, service_type=service, state=PackageState.FAILED, error=reason
            )
            await self._client.update_status(doc_id, "fail")
            return 0
        await self._journal.record_inbox(
            doc_id, service_type=service, state=PackageState.INGESTED, message_id=accepted.id
        )
        await self._client.update_status(doc_id, "done")
        log.info("national_package_taken", doc_id=doc_id, message_id=accepted.id)
        return 1


def _reason(exc: LGSPError) -> str:
    if isinstance(exc, ValidationFailed) and exc.errors:
        first = exc.errors[0]
        return f"{exc.detail}: {'/'.join(map(str, first.get('loc', [])))}: {first.get('msg')}"
    return str(exc)
