"""The national axis adapter: dossier sync to the National Public Service Portal, and the
national data platform's lookups.

``handle`` delivers ``national.dossier_sync`` messages from the axis's work queue to the portal
(``POST /{national_portal_api}/hoso/dongbo``, ``lgsp.adapters.national.portal``), one status per
message, in the order each dossier's statuses were accepted (``lgsp.adapters.national.ordering``).
Transient failures (timeouts, 5xx, refused connections) are retried through delay queues as the
``RetryPolicy`` says, behind the portal's circuit breaker; refusals (400 ``INVALID_DOSSIER``,
409 ``STATUS_OUT_OF_ORDER``, any other 4xx), spent attempts and a passed deadline park the
message in dead letters with the reason. Every call to the portal is recorded as an attempt, and
a delivered status as a ``delivered`` event.

The retry budget counts failed calls to the portal, as the journal records them since the
message was last replayed, not the bus's retry counter: a status waiting for an earlier one, or
for the portal's circuit to close, made no call and spends nothing.

``answer`` answers ``national.citizen_lookup`` and ``national.catalog_lookup`` requests
(``lgsp.adapters.national.lookups``).

Not for: HTTP and tokens (``lgsp.adapters.national.client``), the national document axis
(``lgsp.adapters.vdxp``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import NoReturn

import structlog

from lgsp.adapters.base import AdapterContext, accepted_record, read_envelope
from lgsp.adapters.breaker import CircuitBreakers, CircuitOpen
from lgsp.adapters.national.client import NationalPlatform
from lgsp.adapters.national.lookups import NationalLookups
from lgsp.adapters.national.ordering import StatusOrder
from lgsp.adapters.national.portal import dossier_record
from lgsp.adapters.retry import RetryPolicy
from lgsp.bus import Delivery, Reply
from lgsp.errors import DeliveryError, PermanentDeliveryError, RetryLater
from lgsp.journal import (
    IN_FLIGHT,
    SETTLED,
    Attempt,
    Event,
    HistoryMark,
    MessageRecord,
    MessageStatus,
    RecipientState,
    StatusChange,
)
from lgsp.schemas import DossierSync, Envelope

__all__ = ["NationalAdapter"]

log = structlog.get_logger(__name__)

DOSSIER_SYNC = "national.dossier_sync"
"""What a status change may move a message from: never back from delivered or dead, which a
stale copy of the message (a broker redelivery beside a retry) could otherwise do."""
_NOT_CONFIGURED = "no national data platform is configured (LGSP_NATIONAL_PLATFORM_URL)"


class NationalAdapter:
    axis = "national"

    def __init__(
        self,
        context: AdapterContext,
        *,
        platform: NationalPlatform | None = None,
        policy: RetryPolicy | None = None,
        breakers: CircuitBreakers | None = None,
        order_wait: float = 0.25,
    ) -> None:
        settings = context.settings
        self._settings = settings
        self._journal = context.journal
        if platform is None and settings.national_platform_url:
            platform = NationalPlatform.from_settings(settings, context.http)
        self._platform = platform
        # How long a gateway may hold a message between its journal row and the broker.
        self._grace = settings.journal_timeout + settings.publish_timeout + 1.0
        self._policy = policy or RetryPolicy.from_settings(settings)
        self._breakers = breakers or CircuitBreakers.recorded(settings, context.journal)
        self._order = StatusOrder(
            context.journal,
            wait=order_wait,
            # Never longer than the longest delay queue holds a message.
            max_wait=min(30.0, max(settings.retry_schedule, default=30.0)),
            orphaned_after=self._grace,
        )
        self._lookups = NationalLookups(platform, timeout=settings.webhook_timeout)

    async def answer(self, delivery: Delivery) -> Reply:
        """Answer a citizen or catalogue lookup (never raises for the platform's failures)."""
        return await self._lookups.answer(delivery)

    async def handle(self, delivery: Delivery) -> None:
        record = await accepted_record(self._journal, delivery, grace=self._grace)
        if record is None:
            # The gateway answered 503 for it: the caller was told nothing was accepted.
            log.info("dropped_unaccepted")
            return
        if record.status in SETTLED:
            log.info("already_settled", status=record.status)  # a redelivery
            return
        try:
            envelope = read_envelope(delivery)
        except PermanentDeliveryError as exc:
            await self._give_up(record, exc.reason, attempts=0)
        body = envelope.body
        if envelope.type != DOSSIER_SYNC or not isinstance(body, DossierSync):
            await self._give_up(
                record,
                f"the national adapter delivers {DOSSIER_SYNC} only; "
                f"{envelope.type} came on its work queue",
                attempts=0,
            )
        blocker = await self._order.blocker(record)
        if blocker is not None:
            await self._wait_behind(record, envelope, body, blocker)
        await self._sync(record, envelope, body)

    # -- sending ----------------------------------------------------------------------------

    async def _sync(self, record: MessageRecord, envelope: Envelope, body: DossierSync) -> None:
        failed_before = await self._failed(record)
        target = self._platform.sync_target if self._platform else "national platform"
        started = time.perf_counter()
        try:
            if self._platform is None:
                raise PermanentDeliveryError(_NOT_CONFIGURED, target=target)
            self._breakers.before(target)
            answer = await self._platform.sync_dossier(dossier_record(body))
        except CircuitOpen as exc:
            await self._wait_for_circuit(record, envelope, exc)
        except DeliveryError as exc:
            elapsed = int((time.perf_counter() - started) * 1000)
            await self._breakers.judge(target, exc)
            await self._record(record, envelope, target, elapsed, exc)
            log.warning(
                "dossier_sync_failed",
                dossier=body.dossier_code,
                dossier_status=int(body.status),
                reason=exc.reason,
            )
            await self._after_failure(record, envelope, exc, failed=failed_before + 1)
            return
        elapsed = int((time.perf_counter() - started) * 1000)
        await self._breakers.success(target)
        # Recorded after the portal took it: should this write fail, the redelivery sends the
        # same status again, which the portal takes as a resend (no later status went first:
        # each waits for this one to be recorded as settled).
        await self._record(record, envelope, target, elapsed, None, answer.get("recorded"))
        log.info(
            "delivered",
            dossier=body.dossier_code,
            dossier_status=int(body.status),
            duration_ms=elapsed,
        )

    async def _after_failure(
        self, record: MessageRecord, envelope: Envelope, error: DeliveryError, *, failed: int
    ) -> None:
        """Retry later if the failure may pass and the policy allows; else park for good.

        Returns (the delivery is done with) only when another copy of the message settled it
        meanwhile: a broker redelivery running beside a retry can send a status the portal
        already took and be refused, once the next status is there, as out of order.
        """
        again = await self._journal.get(record.id)
        if again is not None and again.status in SETTLED:
            log.info("settled_meanwhile", status=again.status, reason=error.reason)
            return
        if isinstance(error, PermanentDeliveryError):
            await self._give_up(record, error.reason, attempts=failed)
        delay = self._policy.next_delay(failed - 1, now=_now(), deadline=envelope.deadline)
        if delay is None:
            if envelope.deadline is not None and failed - 1 < self._policy.max_attempts:
                reason = f"deadline {envelope.deadline.isoformat()} comes before a retry"
            else:
                reason = f"gave up after {failed} attempts"
            await self._give_up(record, f"{reason}: {error.reason}", attempts=failed)
        await self._retrying(record, error.reason, delay, attempt=failed)

    async def _wait_for_circuit(
        self, record: MessageRecord, envelope: Envelope, error: CircuitOpen
    ) -> NoReturn:
        # The portal was not called: the status waits about the cooldown, spending no attempt.
        wait = self._settings.breaker_cooldown * (1.0 - self._policy.jitter * self._policy.rand())
        if envelope.deadline is not None and _now() + timedelta(seconds=wait) > envelope.deadline:
            await self._give_up(
                record,
                f"deadline {envelope.deadline.isoformat()} comes before the portal's circuit "
                f"closes: {error.reason}",
                attempts=await self._failed(record),
            )
        await self._retrying(record, error.reason, wait, attempt=None)

    async def _retrying(
        self, record: MessageRecord, reason: str, delay: float, *, attempt: int | None
    ) -> NoReturn:
        next_at = _now() + timedelta(seconds=delay)
        detail: dict[str, object] = {"reason": reason, "next_at": next_at.isoformat()}
        if attempt is not None:
            detail["attempt"] = attempt
        await self._journal.change(
            StatusChange(
                record.id,
                Event(MessageStatus.RETRYING, _now(), detail=detail),
                new_status=MessageStatus.RETRYING,
                only_from=IN_FLIGHT,
            )
        )
        raise RetryLater(reason, delay=delay)

    # -- order ------------------------------------------------------------------------------

    async def _wait_behind(
        self, record: MessageRecord, envelope: Envelope, body: DossierSync, blocker: MessageRecord
    ) -> NoReturn:
        """Hold this status back until ``blocker``, an earlier one of its dossier, settles."""
        delay = await self._order.delay(blocker)
        if envelope.deadline is not None and _now() + timedelta(seconds=delay) > envelope.deadline:
            await self._give_up(
                record,
                f"deadline {envelope.deadline.isoformat()} passed while an earlier status of "
                f"dossier {body.dossier_code} ({blocker.id}) was not settled",
                attempts=await self._failed(record),
            )
        if not _waited_for(record.events, blocker.id):
            # Once per message and blocker: a long wait does not fill the history.
            detail = {"behind": blocker.id, "reason": "an earlier status of the dossier"}
            waiting = Event(HistoryMark.WAITING, _now(), detail=detail)
            await self._journal.change(StatusChange(record.id, waiting))
        log.info("waiting_for_earlier_status", behind=blocker.id, delay=round(delay, 3))
        raise RetryLater(f"waiting for {blocker.id}, an earlier status of the dossier", delay=delay)

    # -- the journal --------------------------------------------------------------------------

    async def _record(
        self,
        record: MessageRecord,
        envelope: Envelope,
        target: str,
        elapsed: int,
        error: DeliveryError | None,
        recorded: object = None,
    ) -> None:
        """One attempt per recipient (the portal's agency code), with its event."""
        for recipient in envelope.recipients:
            if error is None:
                detail: dict[str, object] = {"via": "public service portal"}
                if isinstance(recorded, bool):
                    detail["recorded"] = recorded  # False: the portal had this status already
                change = StatusChange(
                    record.id,
                    Event(RecipientState.DELIVERED, _now(), recipient=recipient, detail=detail),
                    new_status=MessageStatus.DELIVERED,
                    only_from=IN_FLIGHT,
                )
            else:
                change = StatusChange(
                    record.id,
                    Event(
                        RecipientState.REFUSED
                        if isinstance(error, PermanentDeliveryError)
                        else RecipientState.FAILED,
                        _now(),
                        recipient=recipient,
                        detail={"reason": error.reason, "target": target},
                    ),
                )
            await self._journal.record_attempt(
                Attempt(
                    message_id=record.id,
                    recipient=recipient,
                    target=target,
                    at=_now(),
                    outcome="delivered" if error is None else "failed",
                    duration_ms=elapsed,
                    status_code=None if error is None else error.status_code,
                    error=None if error is None else error.reason,
                ),
                change,
            )

    async def _failed(self, record: MessageRecord) -> int:
        """Failed calls to the portal since the message was last replayed: the retry budget
        spent (an operator's replay gives a fresh one, as the bus's counter starts again)."""
        return await self._journal.failed_attempts(record.id, since=_replayed_at(record))

    async def _give_up(self, record: MessageRecord, reason: str, *, attempts: int) -> NoReturn:
        await self._journal.change(
            StatusChange(
                record.id,
                Event(MessageStatus.DEAD, _now(), detail={"reason": reason, "attempts": attempts}),
                new_status=MessageStatus.DEAD,
                only_from=IN_FLIGHT,
            )
        )
        log.warning("parked", reason=reason)
        raise PermanentDeliveryError(reason)


def _replayed_at(record: MessageRecord) -> datetime | None:
    """When an operator last replayed the message: failures before it are not counted again."""
    replays = [e.at for e in record.events if e.status == MessageStatus.REPLAYED]
    return replays[-1] if replays else None


def _waited_for(events: Sequence[Event], blocker_id: str) -> bool:
    return any(
        e.status == HistoryMark.WAITING and (e.detail or {}).get("behind") == blocker_id
        for e in events
    )


def _now() -> datetime:
    return datetime.now(UTC)
