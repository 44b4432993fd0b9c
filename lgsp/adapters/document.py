"""The document axis adapter (liên thông văn bản): delivers ``document.*`` messages.

Each recipient agency registered in this province gets the message at every one of its systems'
webhooks. A recipient that already answered 2xx for this message is never called again, so broker
redeliveries and replays are harmless. Failures park the message in dead letters with the reason
(retries with backoff arrive with the delivery policy).

Not for: edXML conversion or the national document axis (recipients outside the province are
refused for now, with that reason).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import structlog

from lgsp.adapters.base import AdapterContext, accepted_record, read_envelope
from lgsp.adapters.webhook import post_webhook
from lgsp.bus import Delivery
from lgsp.errors import DeliveryError, PermanentDeliveryError
from lgsp.journal import Attempt, Event, StatusChange, System
from lgsp.schemas import Envelope

__all__ = ["DocumentAdapter", "create"]

log = structlog.get_logger(__name__)


class DocumentAdapter:
    axis = "document"

    def __init__(self, context: AdapterContext) -> None:
        self._ctx = context
        self._journal = context.journal
        settings = context.settings
        self._grace = settings.journal_timeout + settings.publish_timeout + 1.0

    async def handle(self, delivery: Delivery) -> None:
        structlog.contextvars.bind_contextvars(message_id=delivery.message_id)
        record = await accepted_record(self._journal, delivery, grace=self._grace)
        if record is None:
            # The gateway answered 503 for it: the caller was told nothing was accepted.
            log.info("dropped_unaccepted")
            return
        envelope = read_envelope(delivery)
        done = await self._journal.delivered_recipients(envelope.id)
        pending = [r for r in envelope.recipients if r not in done]
        results = await asyncio.gather(*(self._deliver_to(envelope, r) for r in pending))
        failures = [error for error in results if error is not None]
        if failures:
            reason = "; ".join(f"{f.target}: {f.reason}" for f in failures)
            await self._journal.change(
                StatusChange(
                    envelope.id, Event("dead", _now(), detail={"reason": reason}), new_status="dead"
                )
            )
            raise PermanentDeliveryError(reason)
        await self._journal.change(
            StatusChange(envelope.id, Event("delivered", _now()), new_status="delivered")
        )
        log.info("delivered", recipients=len(envelope.recipients))

    async def _deliver_to(self, envelope: Envelope, recipient: str) -> DeliveryError | None:
        systems = [s for s in await self._journal.systems.by_agency(recipient) if s.webhook_url]
        if not systems:
            missing = PermanentDeliveryError(
                "no system of this agency with a webhook is registered in this province",
                target=recipient,
            )
            await self._record(envelope, recipient, recipient, error=missing, duration_ms=0)
            return missing
        body = envelope.model_dump_json().encode()
        for system in systems:
            error = await self._post(envelope, recipient, system, body)
            if error is not None:
                return error
        await self._journal.change(
            StatusChange(envelope.id, Event("delivered", _now(), recipient=recipient))
        )
        return None

    async def _post(
        self, envelope: Envelope, recipient: str, system: System, body: bytes
    ) -> DeliveryError | None:
        assert system.webhook_url is not None
        started = _now()
        try:
            call = await post_webhook(
                self._ctx.http,
                system.webhook_url,
                secret=system.webhook_secret,
                body=body,
                message_id=envelope.id,
                message_type=envelope.type,
                timeout=self._ctx.settings.webhook_timeout,
            )
        except DeliveryError as exc:
            elapsed = int((_now() - started).total_seconds() * 1000)
            await self._record(
                envelope, recipient, system.webhook_url, error=exc, duration_ms=elapsed
            )
            log.warning("delivery_failed", recipient=recipient, system=system.id, reason=exc.reason)
            return exc
        await self._journal.record_attempt(
            Attempt(
                message_id=envelope.id,
                recipient=recipient,
                target=system.webhook_url,
                at=started,
                outcome="delivered",
                duration_ms=call.duration_ms,
                status_code=call.status_code,
            )
        )
        return None

    async def _record(
        self,
        envelope: Envelope,
        recipient: str,
        target: str,
        *,
        error: DeliveryError,
        duration_ms: int,
    ) -> None:
        await self._journal.record_attempt(
            Attempt(
                message_id=envelope.id,
                recipient=recipient,
                target=target,
                at=_now(),
                outcome="failed",
                duration_ms=duration_ms,
                status_code=error.status_code,
                error=error.reason,
            ),
            StatusChange(
                envelope.id,
                Event("failed", _now(), recipient=recipient, detail={"reason": error.reason}),
            ),
        )


def _now() -> datetime:
    return datetime.now(UTC)


def create(context: AdapterContext) -> DocumentAdapter:
    """Entry point of the ``document`` adapter."""
    return DocumentAdapter(context)
