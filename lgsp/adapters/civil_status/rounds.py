"""One handling of one civil-status message (a round), and what it writes to the journal.

A ``Round`` holds the request, where its legs stand (``LegBook``) and the failures met on the way;
every event it writes is applied to its book at once, so the rest of the round decides on what is
durably recorded. The events, on the message's history:

- ``leg`` ``{leg, state, result?, reason?, code?, ministry_status?}``: a leg's state (``.legs``),
  with a delivery attempt when a far side was called;
- ``ministry.<status>`` ``{leg, ministry_status, dossier_code}``: the Ministry's status changed;
- ``delivered`` (the Ministry holds the registration), ``retrying`` ``{reason, attempt, next_at,
  legs, circuit_open?}``, ``done``, ``dead`` ``{reason, attempts, leg?, code?, legs?}``: the
  message's own status.

Not for: deciding what to call or when (the adapter).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

import structlog

from lgsp.adapters.breaker import CircuitOpen
from lgsp.adapters.civil_status.legs import LEG_EVENT, MINISTRY_EVENT, Leg, LegBook, LegState
from lgsp.adapters.civil_status.mapping import Registration
from lgsp.adapters.civil_status.ministry import DossierStatus, dossier_code
from lgsp.errors import DeliveryError, PermanentDeliveryError
from lgsp.journal import IN_FLIGHT, Attempt, Event, Journal, MessageStatus, StatusChange

__all__ = ["FINISHED", "Round", "park"]

log = structlog.get_logger(__name__)

FINISHED: frozenset[MessageStatus] = frozenset(
    {MessageStatus.DONE, MessageStatus.DEAD, MessageStatus.DISCARDED}
)
"""A message in one of these is not handled again (a redelivery)."""
_ACTIVE = IN_FLIGHT | {MessageStatus.DELIVERED}


def _now() -> datetime:
    return datetime.now(UTC)


async def park(
    journal: Journal, message_id: str, reason: str, extra: dict[str, Any], *, attempts: int = 1
) -> NoReturn:
    """Record the message ``dead`` with ``reason``, and raise it for the bus to park."""
    detail = {"reason": reason, "attempts": attempts, **extra}
    await journal.change(
        StatusChange(
            message_id,
            Event(MessageStatus.DEAD, _now(), detail=detail),
            new_status=MessageStatus.DEAD,
        )
    )
    log.warning("dead", leg=extra.get("leg"), code=extra.get("code"))
    raise PermanentDeliveryError(reason)


@dataclass(slots=True)
class Round:
    journal: Journal
    message_id: str
    message_type: str
    status: MessageStatus
    body: Registration
    created_at: datetime
    deadline: datetime | None
    book: LegBook
    failures: dict[Leg, DeliveryError] = field(default_factory=dict)
    """Transient failures met in this round (refusals are in the book)."""

    @property
    def dossier(self) -> str:
        return dossier_code(self.message_id)

    def reasons(self) -> str:
        return "; ".join(f"{leg.value}: {error.reason}" for leg, error in self.failures.items())

    async def leg(
        self,
        leg: Leg,
        state: LegState,
        *,
        result: dict[str, Any] | None = None,
        reason: str | None = None,
        code: int | None = None,
        ministry_status: int | None = None,
        attempt: tuple[str, float] | None = None,
        error: DeliveryError | None = None,
    ) -> None:
        """Record a leg's state; with ``attempt`` (target, start), the call that led to it."""
        optional = {
            "result": result,
            "reason": reason,
            "code": code,
            "ministry_status": ministry_status,
        }
        detail: dict[str, Any] = {"leg": leg.value, "state": state.value}
        detail.update({k: v for k, v in optional.items() if v is not None})
        event = Event(LEG_EVENT, _now(), detail=detail)
        change = StatusChange(self.message_id, event)
        if attempt is None:
            await self.journal.change(change)
        else:
            target, started = attempt
            await self.journal.record_attempt(
                Attempt(
                    message_id=self.message_id,
                    recipient=leg.value,
                    target=target,
                    at=_now(),
                    outcome="failed" if error is not None else "delivered",
                    duration_ms=int((time.perf_counter() - started) * 1000),
                    status_code=error.status_code if error is not None else None,
                    error=error.reason if error is not None else None,
                ),
                change,
            )
        self.book.apply(event)

    async def failed(self, leg: Leg, target: str, error: DeliveryError, started: float) -> None:
        """A call for ``leg`` failed: refused for good, or a failure to retry."""
        permanent = isinstance(error, PermanentDeliveryError)
        code = getattr(error, "code", None)
        state = LegState.REFUSED if permanent else LegState.FAILED
        await self.leg(
            leg, state, reason=error.reason, code=code, attempt=(target, started), error=error
        )
        if not permanent:
            self.failures[leg] = error
        log.warning(
            "leg_failed", leg=leg.value, code=code, http=error.status_code, permanent=permanent
        )

    async def ministry(self, status: DossierStatus) -> None:
        """The Ministry's status changed."""
        detail = {
            "leg": Leg.CIVIL_STATUS.value,
            "ministry_status": int(status),
            "dossier_code": self.dossier,
        }
        event = Event(MINISTRY_EVENT + status.label, _now(), detail=detail)
        await self.journal.change(StatusChange(self.message_id, event))
        self.book.apply(event)
        log.info("ministry_status", state=status.label)

    async def delivered(self) -> None:
        """``delivered`` once the Ministry holds the registration (again after a retry)."""
        if self.status in FINISHED or self.status == MessageStatus.DELIVERED:
            return
        if self.book[Leg.CIVIL_STATUS].state not in (LegState.REGISTERED, LegState.DONE):
            return
        detail = {"leg": Leg.CIVIL_STATUS.value, "dossier_code": self.dossier}
        await self.journal.change(
            StatusChange(
                self.message_id,
                Event(MessageStatus.DELIVERED, _now(), detail=detail),
                new_status=MessageStatus.DELIVERED,
                only_from=IN_FLIGHT,
            )
        )
        self.status = MessageStatus.DELIVERED

    async def done(self) -> None:
        event = Event(MessageStatus.DONE, _now(), detail={"legs": self.book.view()})
        await self.journal.change(
            StatusChange(self.message_id, event, new_status=MessageStatus.DONE, only_from=_ACTIVE)
        )
        self.status = MessageStatus.DONE
        log.info("done", legs=self.book.view())

    async def retrying(self, delay: float) -> None:
        """Record the failed round; its legs are due again in ``delay`` seconds."""
        circuit_only = all(isinstance(f, CircuitOpen) for f in self.failures.values())
        attempt = self.book.failed_rounds + (0 if circuit_only else 1)
        detail: dict[str, Any] = {
            "reason": self.reasons(),
            "attempt": attempt,
            "next_at": (_now() + timedelta(seconds=delay)).isoformat(),
            "legs": [leg.value for leg in self.failures],
        }
        if circuit_only:
            detail["circuit_open"] = True  # waiting for a circuit is not a failed round
        event = Event(MessageStatus.RETRYING, _now(), detail=detail)
        await self.journal.change(
            StatusChange(self.message_id, event, new_status=MessageStatus.RETRYING)
        )
        self.book.apply(event)
        self.status = MessageStatus.RETRYING
        log.warning("retrying", legs=detail["legs"], attempt=attempt, delay=round(delay, 3))

    async def park(self, reason: str, extra: dict[str, Any]) -> NoReturn:
        await park(
            self.journal, self.message_id, reason, extra, attempts=self.book.failed_rounds + 1
        )
