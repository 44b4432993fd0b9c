"""Acceptance: an admitted message journaled and published with confirm, side by side.

A message is accepted only when both the journal has its row and the broker has confirmed it; the
two writes run side by side. If the broker fails, the row is marked ``rejected`` (and its
idempotency key freed) before the caller hears 503, so the journal never shows as accepted what was
not. If the journal fails, the broker may hold a message without a row: adapters drop those
(``lgsp.adapters.base.accepted_record``), since its sender was told 503.

The payload is the caller's own bytes, validated once in admission: no parse-dump-parse on the hot
path. A payload above the blob threshold is stored once in the blob store and travels as a
reference.

Every door commits here the same way, after admission (``lgsp.intake.admission``,
``lgsp.intake.edxml``): the gateway's ``POST /v1/messages`` and ``/v1/documents``, and the national
document axis's inbox. One ``Acceptor`` per process, built with ``from_settings`` and closed when
the process stops (the document histories it records in the background are awaited).

Not for: HTTP (``lgsp.gateway``) or delivering (``lgsp.adapters``).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from lgsp.blobs import BlobStore
from lgsp.bus import Bus, OutgoingMessage
from lgsp.bus.envelope import EnvelopeHeaders
from lgsp.documents.status import record_business_status, record_revoke
from lgsp.errors import BrokerUnavailable, IdempotencyConflict, JournalUnavailable
from lgsp.ids import new_message_id
from lgsp.intake.admission import Admitted
from lgsp.intake.recovery import outgoing_from_record
from lgsp.journal import IdempotencyClash, Journal, MessageRecord, MessageStatus, NewMessage, System
from lgsp.metrics import Metrics
from lgsp.settings import Settings

__all__ = ["Accepted", "Acceptor"]

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Accepted:
    """What the caller is told: the message's id, its status (``accepted``), and whether this
    answer repeats an earlier request's (same ``Idempotency-Key``)."""

    id: str
    status: MessageStatus
    replayed: bool = False


class Acceptor:
    """Accepts admitted messages durably, or raises an ``LGSPError``."""

    def __init__(
        self,
        bus: Bus,
        journal: Journal,
        *,
        journal_timeout: float = 5.0,
        blobs: BlobStore | None = None,
        blob_threshold: int = 256 * 1024,
        publish_timeout: float = 5.0,
        metrics: Metrics | None = None,
    ) -> None:
        self._bus = bus
        self._journal = journal
        self._journal_timeout = journal_timeout
        self._blobs = blobs
        self._blob_threshold = blob_threshold
        self._metrics = metrics
        # How long a request can hold a message between journal and confirm, at the most.
        self._in_flight_bound = publish_timeout + journal_timeout + 1.0
        self._background: set[asyncio.Task[None]] = set()

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        bus: Bus,
        journal: Journal,
        blobs: BlobStore,
        *,
        metrics: Metrics | None = None,
    ) -> Acceptor:
        return cls(
            bus,
            journal,
            journal_timeout=settings.journal_timeout,
            blobs=blobs,
            blob_threshold=settings.blob_threshold_bytes,
            publish_timeout=settings.publish_timeout,
            metrics=metrics,
        )

    async def close(self) -> None:
        """Wait for the work this acceptor still does in the background (document histories)."""
        while self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    async def commit(
        self, system: System, admitted: Admitted, *, idempotency_key: str | None = None
    ) -> Accepted:
        """Accept ``admitted`` from ``system``: journaled and confirmed by the broker, or an
        ``LGSPError`` (503 when either failed, 409 for a key reused with another request)."""
        request_hash = None
        if idempotency_key:
            stored = admitted.payload_ref
            request_hash = (
                stored.partition(":")[2] if stored else hashlib.sha256(admitted.payload).hexdigest()
            )
        if idempotency_key:
            earlier = await self._journal.find_idempotent(system.id, idempotency_key)
            if earlier is not None:
                return await self._replay(earlier, request_hash)
        now = datetime.now(UTC)
        message_id = new_message_id()
        structlog.contextvars.bind_contextvars(message_id=message_id)
        sender = admitted.sender or system.agency
        payload, payload_ref = admitted.payload, admitted.payload_ref
        if payload_ref is None and self._blobs is not None and len(payload) > self._blob_threshold:
            payload_ref = await self._blobs.put(payload)
            payload = b""
        envelope = EnvelopeHeaders(
            sender=sender,
            created_at=now,
            system=system.id,
            recipients=admitted.recipients,
            priority=admitted.priority,
            deadline=admitted.deadline,
            signature=admitted.signature,
            blob=payload_ref,
        )
        record = NewMessage(
            id=message_id,
            type=admitted.type,
            sender=sender,
            sender_system=system.id,
            recipients=admitted.recipients,
            created_at=now,
            payload=payload,
            priority=admitted.priority,
            correlation_id=admitted.correlation_id,
            deadline=admitted.deadline,
            idempotency_key=idempotency_key,
            request_hash=request_hash,
            content_type=admitted.content_type,
            payload_ref=payload_ref,
            document_id=admitted.document_id,
            signature=admitted.signature,
            order_key=admitted.order_key,
        )
        outgoing = OutgoingMessage(
            message_id=message_id,
            routing_key=admitted.type,
            body=payload,
            type=admitted.type,
            headers=envelope.to_headers(),
            correlation_id=admitted.correlation_id,
            content_type=admitted.content_type,
            timestamp=now,
        )
        # The journal write and the broker's confirm proceed side by side: the caller waits for
        # the slower of the two, not for both in turn. Accepted means both succeeded.
        journaled = asyncio.ensure_future(self._journal.accept(record))
        try:
            await self._bus.publish(outgoing)
        except BrokerUnavailable as exc:
            await self._unaccept(journaled, message_id, str(exc))
            raise
        except BaseException:
            await self._unaccept(journaled, message_id, "the request was abandoned")
            raise
        try:
            async with asyncio.timeout(self._journal_timeout):
                await asyncio.shield(journaled)
        except IdempotencyClash:
            # Another request with this key won the race a moment ago; the copy just published
            # has no journal row, and adapters drop such messages.
            assert idempotency_key is not None
            earlier = await self._journal.find_idempotent(system.id, idempotency_key)
            if earlier is None:
                raise JournalUnavailable("the idempotency record vanished; retry") from None
            return await self._replay(earlier, request_hash)
        except TimeoutError:
            raise JournalUnavailable(
                f"the journal did not record the message within {self._journal_timeout}s"
            ) from None
        self._journal.queued(message_id)
        if self._metrics is not None:
            self._metrics.accepted(admitted.type)
        if admitted.status is not None or admitted.revokes is not None:
            self._in_background(self._record_document_history(admitted, sender, message_id))
        return Accepted(message_id, MessageStatus.ACCEPTED)

    async def _record_document_history(
        self, admitted: Admitted, sender: str, message_id: str
    ) -> None:
        try:
            if admitted.status is not None:
                await record_business_status(self._journal, admitted.status, message_id=message_id)
            if admitted.revokes is not None:
                await record_revoke(
                    self._journal,
                    document_id=admitted.revokes,
                    sender=sender,
                    message_id=message_id,
                )
        except JournalUnavailable as exc:
            log.warning("document_history_not_recorded", message_id=message_id, error=str(exc))

    def _in_background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _unaccept(
        self, journaled: asyncio.Future[None], message_id: str, reason: str
    ) -> None:
        """The broker did not take the message: undo the journal row, once it is written."""
        try:
            await asyncio.shield(journaled)
        except Exception:
            return  # nothing was recorded: nothing to undo
        try:
            await self._journal.reject(message_id, reason)
        except JournalUnavailable as exc:
            # Both the broker and the journal are failing; the caller still hears 503. The row
            # stays "accepted" with no broker message: operators find it by its lone event.
            log.error("reject_not_recorded", message_id=message_id, error=str(exc))

    async def _replay(self, earlier: MessageRecord, request_hash: str | None) -> Accepted:
        if earlier.request_hash != request_hash:
            raise IdempotencyConflict(
                f"Idempotency-Key was used for another request (message {earlier.id})"
            )
        if earlier.status == MessageStatus.ACCEPTED:
            earlier = await self._settled(earlier)
        if earlier.status == MessageStatus.REJECTED:
            raise BrokerUnavailable("the first request with this key was not accepted; retry")
        if earlier.status == MessageStatus.ACCEPTED:
            # Journaled but never confirmed by the broker, long after any live request would
            # have been: the gateway that took it died between the two. Publish it again from
            # the journal (same id), so that this 202, too, means it is in the broker.
            payload = await self._journal.payload(earlier.id) or b""
            await self._bus.publish(outgoing_from_record(earlier, payload))
            self._journal.queued(earlier.id)
            log.warning("recovered_unconfirmed_message", message_id=earlier.id)
        return Accepted(earlier.id, MessageStatus.ACCEPTED, replayed=True)

    async def _settled(self, earlier: MessageRecord) -> MessageRecord:
        """Wait while a message may still be on its way through another request."""
        give_up = earlier.created_at + timedelta(seconds=self._in_flight_bound)
        while earlier.status == MessageStatus.ACCEPTED and datetime.now(UTC) < give_up:
            await asyncio.sleep(0.05)
            again = await self._journal.get(earlier.id)
            if again is None:
                break
            earlier = again
        return earlier
