"""The civil-status axis adapter (hộ tịch): registers births, deaths and marriages with the
Ministry of Justice, follows each registration to its end, and carries the joined procedures'
other legs (see ``lgsp.adapters.civil_status.legs``).

One handling of a message is one round (``.rounds``): register with the Ministry if not yet
registered; once registered, call every other leg still pending, side by side; ask the Ministry
where the dossier stands and record each change (``ministry.received``,
``ministry.needs_more_papers``...). Then:

- every leg done: the message is ``done``;
- a leg refused for good (a permanent code, the Ministry's status 0, a setting missing): ``dead``,
  with the leg, the far side's code and its reason, in the journal and as the parked reason;
- a transient failure: ``retrying``; the failed legs are due again when the ``RetryPolicy`` says,
  and only they: legs done or registered are never called again;
- otherwise the Ministry is not done yet: back in ``civil_status_poll_interval`` seconds, also
  while failed legs wait for their retry time (they are not called on those rounds).

Waiting is not failing: the retry budget is the failed rounds the journal records since the last
replay, not the bus's attempt count, which every wait raises. The message is ``delivered`` once the
Ministry holds the registration. Each endpoint has its circuit breaker, as in the document adapter.
Lookups (``civil_status.lookup``) are answered by ``.lookup``.

Not for: the Ministry's or the agencies' wire formats (``.ministry``, ``.agencies``, ``.mapping``).
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from lgsp.adapters.base import AdapterContext, accepted_record, read_envelope
from lgsp.adapters.breaker import CircuitBreakers, CircuitOpen
from lgsp.adapters.civil_status.agencies import AgencyClient, service_for
from lgsp.adapters.civil_status.legs import Leg, LegBook, LegState, plan
from lgsp.adapters.civil_status.lookup import Lookups
from lgsp.adapters.civil_status.mapping import MODULE_OF_TYPE, to_ministry
from lgsp.adapters.civil_status.ministry import DossierStatus, MinistryClient
from lgsp.adapters.civil_status.rounds import FINISHED, Round, park
from lgsp.adapters.retry import RetryPolicy
from lgsp.bus import Delivery, Reply
from lgsp.errors import DeliveryError, PermanentDeliveryError, RetryLater
from lgsp.schemas import BirthRegistration, DeathRegistration, MarriageRegistration

__all__ = ["CivilStatusAdapter"]

log = structlog.get_logger(__name__)


class CivilStatusAdapter:
    axis = "civil_status"

    def __init__(
        self,
        context: AdapterContext,
        *,
        ministry: MinistryClient | None = None,
        agencies: AgencyClient | None = None,
        policy: RetryPolicy | None = None,
        breakers: CircuitBreakers | None = None,
    ) -> None:
        settings = context.settings
        self._settings = settings
        self._journal = context.journal
        self._grace = settings.journal_timeout + settings.publish_timeout + 1.0
        self._ministry = ministry or MinistryClient.from_settings(settings, context.http)
        self._agencies = agencies or AgencyClient(context.http, settings)
        self._policy = policy or RetryPolicy.from_settings(settings)
        self._breakers = breakers or CircuitBreakers.recorded(settings, context.journal)
        self._lookups = Lookups(settings, self._ministry, self._breakers)

    async def answer(self, delivery: Delivery) -> Reply:
        """Answer a ``civil_status.lookup`` from the Ministry's records."""
        return await self._lookups.answer(delivery)

    async def handle(self, delivery: Delivery) -> None:
        record = await accepted_record(self._journal, delivery, grace=self._grace)
        if record is None:
            log.info("dropped_unaccepted")  # the gateway answered 503 for it
            return
        if record.status in FINISHED:
            log.info("already_settled", status=record.status)  # a redelivery
            return
        try:
            envelope = read_envelope(delivery)
        except PermanentDeliveryError as exc:
            await park(self._journal, delivery.message_id, exc.reason, {})
        body = envelope.body
        if not isinstance(body, BirthRegistration | DeathRegistration | MarriageRegistration):
            reason = (
                f"{envelope.type} is not a registration; lookups are asked at POST /v1/requests"
            )
            await park(self._journal, delivery.message_id, reason, {})
        legs = plan(body)
        r = Round(
            journal=self._journal,
            message_id=record.id,
            message_type=envelope.type,
            status=record.status,
            body=body,
            created_at=envelope.created_at,
            deadline=envelope.deadline,
            book=LegBook.fold(legs, record.events),
        )
        await self._note_pending(r)
        await self._check_settings(r)
        if r.book.refused():
            await self._settle(r)  # dead: nobody is called for a request that cannot be done
        now = _now()
        civil = r.book[Leg.CIVIL_STATUS]
        civil_callable = r.book.may_call(Leg.CIVIL_STATUS, now)
        if civil.state is LegState.PENDING and civil_callable:
            await self._register(r)
        if civil.state in (LegState.REGISTERED, LegState.DONE):
            pending = [
                leg
                for leg in legs[1:]
                if r.book[leg].state is LegState.PENDING and r.book.may_call(leg, now)
            ]
            await asyncio.gather(*(self._run_leg(r, leg) for leg in pending))
        if civil.state is LegState.REGISTERED and civil_callable:
            await self._follow(r)
        await self._settle(r)

    # -- the legs ------------------------------------------------------------------------------

    async def _note_pending(self, r: Round) -> None:
        """Record the legs of a request the first time it is handled, so they show at once."""
        for leg in r.book.unrecorded():
            await r.leg(leg, LegState.PENDING)

    async def _check_settings(self, r: Round) -> None:
        """A leg whose service is not configured is refused before anyone is called."""
        unit = ("LGSP_CIVIL_STATUS_UNIT", self._settings.civil_status_unit)
        for leg, progress in r.book.legs.items():
            if not progress.open:
                continue
            if leg is Leg.CIVIL_STATUS:
                url = ("LGSP_CIVIL_STATUS_URL", self._settings.civil_status_url)
            else:
                service = service_for(r.message_type, leg)
                url = (service.setting_name, service.url(self._settings))
            missing = [name for name, value in (unit, url) if not value]
            if missing:
                reason = f"{' and '.join(missing)} not set: the {leg.value} leg cannot be done"
                await r.leg(leg, LegState.REFUSED, reason=reason)

    async def _register(self, r: Round) -> None:
        url = self._ministry.register_url
        started = time.perf_counter()
        try:
            data = to_ministry(r.body)
            self._breakers.before(url)
            result = await self._ministry.register(
                module=MODULE_OF_TYPE[r.message_type],
                dossier=r.dossier,
                received=r.created_at,
                data=data,
            )
        except DeliveryError as exc:
            await self._failed(r, Leg.CIVIL_STATUS, url, exc, started)
            return
        await self._breakers.success(url)
        await r.leg(Leg.CIVIL_STATUS, LegState.REGISTERED, result=result, attempt=(url, started))
        log.info("registered", leg=Leg.CIVIL_STATUS.value)
        await r.delivered()

    async def _run_leg(self, r: Round, leg: Leg) -> None:
        service = service_for(r.message_type, leg)
        url = service.url(self._settings)
        started = time.perf_counter()
        try:
            request = self._agencies.request(
                service,
                body=r.body,
                civil=r.book[Leg.CIVIL_STATUS].result,
                dossier=r.dossier,
                received=r.created_at,
            )
        except DeliveryError as exc:  # the body lacks what the agency needs: nothing was sent
            exc.target = url
            await r.failed(leg, url, exc, started)
            return
        try:
            self._breakers.before(url)
            result = await self._agencies.send(service, request)
        except DeliveryError as exc:
            await self._failed(r, leg, url, exc, started)
            return
        await self._breakers.success(url)
        await r.leg(leg, LegState.DONE, result=result, attempt=(url, started))
        log.info("leg_done", leg=leg.value)

    async def _follow(self, r: Round) -> None:
        """Ask the Ministry where the registration stands; record it when it changed."""
        url = self._ministry.status_url
        started = time.perf_counter()
        try:
            self._breakers.before(url)
            status = await self._ministry.status(r.dossier)
        except DeliveryError as exc:
            await self._failed(r, Leg.CIVIL_STATUS, url, exc, started)
            return
        await self._breakers.success(url)
        civil = r.book[Leg.CIVIL_STATUS]
        if status != r.book.ministry_status:
            await r.ministry(status)
        if status is DossierStatus.DONE:
            await r.leg(Leg.CIVIL_STATUS, LegState.DONE, ministry_status=int(status))
        elif status is DossierStatus.ERROR:
            reason = f"the civil-status system ended dossier {r.dossier} in error (trangThai 0)"
            await r.leg(
                Leg.CIVIL_STATUS, LegState.REFUSED, reason=reason, ministry_status=int(status)
            )
        elif civil.failure is not None:
            # The leg's last word was a failure; say it is back to being followed.
            await r.leg(Leg.CIVIL_STATUS, LegState.REGISTERED)

    # -- how a round ends ----------------------------------------------------------------------

    async def _settle(self, r: Round) -> None:
        refused = r.book.refused()
        if refused:
            first = refused[0]
            reason = "; ".join(f"{p.leg.value}: {p.failure}" for p in refused)
            extra: dict[str, Any] = {"leg": first.leg.value, "legs": r.book.view()}
            if first.code is not None:
                extra["code"] = first.code
            await r.park(reason, extra)
        if r.book.all_done():
            await r.done()
            return
        civil = r.book[Leg.CIVIL_STATUS]
        # The Ministry's status is checked every poll interval, whatever else waits.
        following = civil.state is LegState.REGISTERED and civil.failure is None
        poll = self._settings.civil_status_poll_interval
        if r.failures:
            delay = await self._retry_delay(r)
            await r.retrying(delay)
            # Back sooner while the Ministry's status is followed; the failed legs wait on.
            raise RetryLater(r.reasons(), delay=min(delay, poll) if following else delay)
        waiting = r.book.waiting()
        if waiting and r.book.retry_at is not None:
            # Back for the status check before the failed legs' retry time: they wait on.
            left = max(0.0, (r.book.retry_at - _now()).total_seconds())
            legs = [p.leg.value for p in waiting]
            log.info("waiting_for_retry", legs=legs, ministry_status=r.book.ministry_status)
            raise RetryLater(
                f"{', '.join(legs)} waiting to be retried",
                delay=min(left, poll) if following else left,
            )
        await r.delivered()
        log.info("waiting_for_ministry", ministry_status=r.book.ministry_status)
        raise RetryLater("waiting for the civil-status system", delay=poll)

    async def _retry_delay(self, r: Round) -> float:
        """Seconds before the failed legs are tried again; dead when there is no next try."""
        reason = r.reasons()
        attempt = r.book.failed_rounds
        registered = r.book[Leg.CIVIL_STATUS].state is not LegState.PENDING
        # Once the Ministry holds the registration, the deadline (for delivery) has been met.
        deadline = None if registered else r.deadline
        if all(isinstance(f, CircuitOpen) for f in r.failures.values()):
            wait = self._settings.breaker_cooldown * (
                1.0 - self._policy.jitter * self._policy.rand()
            )
            if deadline is None or _now() + timedelta(seconds=wait) <= deadline:
                return wait
        else:
            delay = self._policy.next_delay(attempt, now=_now(), deadline=deadline)
            if delay is not None:
                return delay
        if deadline is not None and attempt < self._policy.max_attempts:
            reason = f"deadline {deadline.isoformat()} comes before a retry: {reason}"
        else:
            reason = f"gave up after {attempt + 1} attempts: {reason}"
        await r.park(reason, {"legs": r.book.view()})

    # -- breakers ------------------------------------------------------------------------------

    async def _failed(
        self, r: Round, leg: Leg, url: str, error: DeliveryError, started: float
    ) -> None:
        error.target = error.target or url
        await self._breakers.judge(url, error)
        await r.failed(leg, url, error, started)


def _now() -> datetime:
    return datetime.now(UTC)
