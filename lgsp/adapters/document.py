"""The document axis adapter (liên thông văn bản): delivers ``document.*`` messages.

Each recipient agency registered in this province gets the message at every one of its systems'
webhooks, in the format that system chose (JSON envelope or edXML package); every other agency
code goes to the national document axis (VDXP), when one is configured. A recipient that already
got the message (or refused it for good) is never sent it again, so broker redeliveries, retries
and replays are harmless. Transient failures (timeouts, 5xx, refused connections) are retried
through delay queues as the ``RetryPolicy`` says; permanent ones (4xx, unknown agency), spent
attempts and a passed deadline park the message in dead letters with the reason.

Not for: edXML parsing (``lgsp.schemas.edxml``) or the national axis's wire protocol
(``lgsp.adapters.vdxp``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

import structlog

from lgsp.adapters.base import AdapterContext, accepted_record
from lgsp.adapters.breaker import CircuitBreakers, CircuitOpen
from lgsp.adapters.retry import RetryPolicy
from lgsp.adapters.webhook import post_webhook
from lgsp.blobs import BlobStore
from lgsp.bus import Delivery, attempt_of
from lgsp.documents.formats import XML, DocumentMessage
from lgsp.errors import DeliveryError, JournalUnavailable, PermanentDeliveryError, RetryLater
from lgsp.journal import (
    IN_FLIGHT,
    Attempt,
    Event,
    MessageStatus,
    RecipientState,
    StatusChange,
    System,
)

__all__ = ["DocumentAdapter", "NationalDocumentAxis", "create"]

log = structlog.get_logger(__name__)

_RECORD_PATIENCE = 30.0


def _settled(events: Sequence[Event]) -> set[str]:
    """Recipients no later attempt revisits: delivered ones, and those that refused the message
    since it was last replayed (an operator's replay gives refusals another chance)."""
    delivered: set[str] = set()
    refused: set[str] = set()
    for event in events:
        if event.status == MessageStatus.REPLAYED:
            refused.clear()
        elif event.recipient and event.status == RecipientState.DELIVERED:
            delivered.add(event.recipient)
        elif event.recipient and event.status == RecipientState.REFUSED:
            refused.add(event.recipient)
    return delivered | refused


class NationalDocumentAxis(Protocol):
    """Where documents for agencies outside the province go."""

    target: str

    async def send(self, message: DocumentMessage) -> str:
        """Hand the message over; returns the axis's id for it. Raises ``DeliveryError``."""


class DocumentAdapter:
    axis = "document"

    def __init__(
        self,
        context: AdapterContext,
        *,
        blobs: BlobStore | None = None,
        national: NationalDocumentAxis | None = None,
        policy: RetryPolicy | None = None,
        breakers: CircuitBreakers | None = None,
    ) -> None:
        self._ctx = context
        self._journal = context.journal
        self._blobs = blobs
        self._national = national
        settings = context.settings
        self._grace = settings.journal_timeout + settings.publish_timeout + 1.0
        self._policy = policy or RetryPolicy.from_settings(settings)
        self._breakers = breakers or CircuitBreakers.recorded(settings, context.journal)

    async def handle(self, delivery: Delivery) -> None:
        record = await accepted_record(self._journal, delivery, grace=self._grace)
        if record is None:
            # The gateway answered 503 for it: the caller was told nothing was accepted.
            log.info("dropped_unaccepted")
            return
        message = await DocumentMessage.load(delivery, self._blobs)
        done = _settled(record.events)
        local: dict[str, list[System]] = {}
        remote: list[str] = []
        for recipient in message.recipients:
            if recipient in done:
                continue
            systems = await self._journal.systems.by_agency(recipient)
            if systems:
                local[recipient] = systems
            else:
                remote.append(recipient)
        work = [self._deliver_local(message, r, systems) for r, systems in local.items()]
        if remote:
            work.append(self._deliver_national(message, remote))
        failures = [f for found in await asyncio.gather(*work) for f in found]
        refused = any(
            r in _settled(record.events) - _delivered(record.events) for r in message.recipients
        )
        if failures or refused:
            await self._settle_failures(message, delivery, failures)
        await self._journal.change(
            StatusChange(
                message.id,
                Event(MessageStatus.DELIVERED, _now()),
                new_status=MessageStatus.DELIVERED,
                only_from=IN_FLIGHT,
            )
        )

    async def _settle_failures(
        self, message: DocumentMessage, delivery: Delivery, failures: list[DeliveryError]
    ) -> None:
        """Retry later if any failure may pass and the policy allows; else park for good."""
        reason = "; ".join(f"{f.target}: {f.reason}" for f in failures) or (
            "a recipient refused the message"
        )
        attempt = attempt_of(delivery)
        transient = [f for f in failures if not isinstance(f, PermanentDeliveryError)]
        if transient:
            delay = self._policy.next_delay(attempt, now=_now(), deadline=message.deadline)
            if all(isinstance(f, CircuitOpen) for f in transient):
                # The endpoint was not called: the message waits for its circuit (about the
                # cooldown, bounded only by the deadline), not for the retry schedule's steps,
                # and is not given up for having waited.
                delay = self._circuit_wait(message)
            if delay is not None:
                next_at = _now() + timedelta(seconds=delay)
                detail = {"reason": reason, "attempt": attempt + 1, "next_at": next_at.isoformat()}
                retrying = Event(MessageStatus.RETRYING, _now(), detail=detail)
                await self._journal.change(
                    StatusChange(message.id, retrying, new_status=MessageStatus.RETRYING)
                )
                raise RetryLater(reason, delay=delay)
            if message.deadline is not None and attempt < self._policy.max_attempts:
                reason = f"deadline {message.deadline.isoformat()} comes before a retry: {reason}"
            else:
                reason = f"gave up after {attempt + 1} attempts: {reason}"
        dead = Event(MessageStatus.DEAD, _now(), detail={"reason": reason, "attempts": attempt + 1})
        await self._journal.change(StatusChange(message.id, dead, new_status=MessageStatus.DEAD))
        raise PermanentDeliveryError(reason)

    async def _deliver_local(
        self, message: DocumentMessage, recipient: str, systems: list[System]
    ) -> list[DeliveryError]:
        for index, system in enumerate(systems):
            last = index == len(systems) - 1
            if system.webhook_url is None:
                await self._to_inbox(message, recipient, system, last=last)
                continue
            error = await self._post(message, recipient, system, last=last)
            if error is not None:
                return [error]
        return []

    async def _to_inbox(
        self, message: DocumentMessage, recipient: str, system: System, *, last: bool
    ) -> None:
        """A system without a webhook pulls its messages (``GET /v1/inbox``)."""
        detail = {"via": "inbox", "system": system.id}
        inboxed = Event(RecipientState.INBOXED, _now(), recipient, detail)
        changes = [StatusChange(message.id, inboxed)]
        if last:
            delivered = Event(RecipientState.DELIVERED, _now(), recipient, detail)
            changes.append(StatusChange(message.id, delivered))
        await self._journal.put_in_inbox(
            message.id, system_id=system.id, recipient=recipient, changes=changes
        )

    async def _post(
        self, message: DocumentMessage, recipient: str, system: System, *, last: bool
    ) -> DeliveryError | None:
        """POST to one system's webhook. The last system's success is recorded together with
        the recipient's ``delivered`` in one commit: the window in which a crash makes a
        redelivery repeat a call the recipient already answered is one journal write wide."""
        assert system.webhook_url is not None
        started = time.perf_counter()
        try:
            self._breakers.before(system.webhook_url)
            wants_xml = system.format == "edxml"
            body = message.as_edxml() if wants_xml else message.as_json()
            call = await post_webhook(
                self._ctx.http,
                system.webhook_url,
                secret=system.webhook_secret,
                body=body,
                message_id=message.id,
                message_type=message.type,
                content_type=XML if wants_xml else "application/json",
                timeout=self._ctx.settings.webhook_timeout,
            )
        except DeliveryError as exc:
            elapsed = int((time.perf_counter() - started) * 1000)
            exc.target = exc.target or system.webhook_url
            await self._breakers.judge(system.webhook_url, exc)
            await self._record_failure(message, recipient, system.webhook_url, exc, elapsed)
            log.warning("delivery_failed", recipient=recipient, system=system.id, reason=exc.reason)
            return exc
        await self._breakers.success(system.webhook_url)
        await self._record_success(
            Attempt(
                message_id=message.id,
                recipient=recipient,
                target=system.webhook_url,
                at=_now(),
                outcome="delivered",
                duration_ms=call.duration_ms,
                status_code=call.status_code,
            ),
            StatusChange(message.id, Event(RecipientState.DELIVERED, _now(), recipient=recipient))
            if last
            else None,
        )
        return None

    def _circuit_wait(self, message: DocumentMessage) -> float | None:
        wait = self._ctx.settings.breaker_cooldown * (
            1.0 - self._policy.jitter * self._policy.rand()
        )
        if message.deadline is not None and _now() + timedelta(seconds=wait) > message.deadline:
            return None
        return wait

    async def _record_success(self, attempt: Attempt, change: StatusChange | None) -> None:
        """Record a 2xx, waiting out a journal outage of up to ``_RECORD_PATIENCE`` seconds:
        given up now, the message would come back and the recipient would get it twice."""
        waited = 0.0
        while True:
            try:
                await self._journal.record_attempt(attempt, change)
                return
            except JournalUnavailable:
                if waited >= _RECORD_PATIENCE:
                    raise
                log.warning("journal_unavailable_after_delivery", waited=waited)
                await asyncio.sleep(0.5)
                waited += 0.5

    async def _deliver_national(
        self, message: DocumentMessage, recipients: list[str]
    ) -> list[DeliveryError]:
        if self._national is None:
            failures: list[DeliveryError] = []
            for recipient in recipients:
                error = PermanentDeliveryError(
                    "not registered in this province, and no national document axis is "
                    "configured (LGSP_NATIONAL_DOCUMENT_URL)",
                    target=recipient,
                )
                await self._record_failure(message, recipient, recipient, error, 0)
                failures.append(error)
            return failures
        started = time.perf_counter()
        try:
            self._breakers.before(self._national.target)
            doc_id = await self._national.send(message)
        except DeliveryError as exc:
            elapsed = int((time.perf_counter() - started) * 1000)
            exc.target = exc.target or self._national.target
            await self._breakers.judge(self._national.target, exc)
            for recipient in recipients:
                await self._record_failure(message, recipient, self._national.target, exc, elapsed)
            return [exc]
        elapsed = int((time.perf_counter() - started) * 1000)
        await self._breakers.success(self._national.target)
        for recipient in recipients:
            await self._journal.record_attempt(
                Attempt(
                    message_id=message.id,
                    recipient=recipient,
                    target=self._national.target,
                    at=_now(),
                    outcome="delivered",
                    duration_ms=elapsed,
                ),
                StatusChange(
                    message.id,
                    Event(
                        RecipientState.DELIVERED,
                        _now(),
                        recipient=recipient,
                        detail={"via": "national document axis", "national_doc_id": doc_id},
                    ),
                ),
            )
        return []

    async def _record_failure(
        self,
        message: DocumentMessage,
        recipient: str,
        target: str,
        error: DeliveryError,
        duration_ms: int,
    ) -> None:
        await self._journal.record_attempt(
            Attempt(
                message_id=message.id,
                recipient=recipient,
                target=target,
                at=_now(),
                outcome="failed",
                duration_ms=duration_ms,
                status_code=error.status_code,
                error=error.reason,
            ),
            StatusChange(
                message.id,
                Event(
                    RecipientState.REFUSED
                    if isinstance(error, PermanentDeliveryError)
                    else RecipientState.FAILED,
                    _now(),
                    recipient=recipient,
                    detail={"reason": error.reason, "target": target},
                ),
            ),
        )


def _delivered(events: Sequence[Event]) -> set[str]:
    return {e.recipient for e in events if e.status == RecipientState.DELIVERED and e.recipient}


def _now() -> datetime:
    return datetime.now(UTC)


def create(context: AdapterContext) -> DocumentAdapter:
    """Entry point of the ``document`` adapter."""
    settings = context.settings
    national: NationalDocumentAxis | None = None
    if settings.national_document_url:
        from lgsp.adapters.vdxp.bridge import VdxpAxis

        national = VdxpAxis.from_settings(settings, context.http)
    return DocumentAdapter(context, blobs=context.blobs, national=national)
