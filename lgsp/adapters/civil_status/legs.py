"""The legs of a civil-status request, and where each stands, read from the journal.

An ordinary registration has one leg, ``civil_status`` (the Ministry of Justice). The joined
procedures fan out: LTKS (liên thông khai sinh) adds ``residence`` (permanent residence) and
``health_insurance`` (a BHYT card for the child); LTKT (liên thông khai tử) adds ``residence``
(removal) and ``funeral_allowance``. The other legs need what the Ministry's registration gives (the
child's personal ID number, the registration number), so they start once ``civil_status`` is
registered, and run side by side.

A leg's state is kept only as journal events ``Event("leg", detail={"leg", "state", ...})``:

    pending ──▶ registered ──▶ done        (registered: civil_status only, the Ministry has the
       │            │                       dossier and its status is followed until final)
       └────────────┴────▶ refused          (permanent; an operator's replay reopens the leg)
    failed: a transient failure, noted with its reason; the leg keeps its place

``LegBook.fold`` rebuilds the states from a message's events, so every attempt, on any process,
starts from what is durably known: a leg done (or registered) is never called again. It also counts
the failed rounds since the last replay (``retrying`` events, less those that only waited for an
open circuit): the retry budget is spent by failures, never by waiting for the Ministry. A failed
leg is called again at its retry time (``retry_at``), not on every status check in between.

Not for: calling anyone (the adapter) or the HTTP view of the legs (the gateway).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from lgsp.journal import Event, HistoryMark, LegState, MessageStatus
from lgsp.schemas import BirthRegistration, DeathRegistration, MarriageRegistration
from lgsp.schemas.civil_status import RegistrationKind
from lgsp.schemas.civil_status_death import DeathRegistrationKind

__all__ = [
    "LEG_EVENT",
    "MINISTRY_EVENT",
    "Leg",
    "LegBook",
    "LegProgress",
    "LegState",
    "plan",
]

LEG_EVENT = HistoryMark.LEG
"""The event that records a leg's state (the journal's ``HistoryMark.LEG``)."""
_EARLY = timedelta(milliseconds=5)
"""A message back from its delay queue this much before its retry time is on time."""
MINISTRY_EVENT = "ministry."
"""Prefix of the events recording the Ministry's status changes: ``ministry.eligible``..."""


class Leg(enum.StrEnum):
    CIVIL_STATUS = "civil_status"
    """hộ tịch: the Ministry of Justice's registration"""
    RESIDENCE = "residence"
    """cư trú: permanent residence registered (LTKS) or removed (LTKT)"""
    HEALTH_INSURANCE = "health_insurance"
    """bảo hiểm y tế: a health insurance card for a child under 6 (LTKS)"""
    FUNERAL_ALLOWANCE = "funeral_allowance"
    """trợ cấp mai táng (LTKT)"""


def plan(body: BirthRegistration | DeathRegistration | MarriageRegistration) -> tuple[Leg, ...]:
    """The legs a request makes, the civil-status leg first."""
    if (
        isinstance(body, BirthRegistration)
        and body.registration_kind is RegistrationKind.JOINED_LTKS
    ):
        return (Leg.CIVIL_STATUS, Leg.RESIDENCE, Leg.HEALTH_INSURANCE)
    if (
        isinstance(body, DeathRegistration)
        and body.registration_kind is DeathRegistrationKind.JOINED_LTKT
    ):
        return (Leg.CIVIL_STATUS, Leg.RESIDENCE, Leg.FUNERAL_ALLOWANCE)
    return (Leg.CIVIL_STATUS,)


@dataclass(slots=True)
class LegProgress:
    """Where one leg stands. ``state`` is never ``FAILED``: a failure is a note (``failure``)
    on the state the leg holds."""

    leg: Leg
    state: LegState = LegState.PENDING
    result: dict[str, Any] = field(default_factory=dict)
    failure: str | None = None
    """The reason of the last failure, while it is the last word on the leg."""
    code: int | None = None
    """The far side's code with a refusal, when it gave one."""
    recorded: bool = False
    """Whether the journal has any event of this leg yet."""
    _before_refusal: LegState = LegState.PENDING

    @property
    def open(self) -> bool:
        """Still to be called (pending) or followed (registered)."""
        return self.state in (LegState.PENDING, LegState.REGISTERED)


class LegBook:
    """The legs of one request, and the Ministry's last status and the failed rounds."""

    def __init__(self, legs: Sequence[Leg]) -> None:
        self.legs = {leg: LegProgress(leg) for leg in legs}
        self.ministry_status: int | None = None
        self.failed_rounds = 0
        self.retry_at: datetime | None = None
        """When the failed legs are due again (the last ``retrying`` event's ``next_at``)."""

    @classmethod
    def fold(cls, legs: Sequence[Leg], events: Iterable[Event]) -> LegBook:
        book = cls(legs)
        for event in events:
            book.apply(event)
        return book

    def __getitem__(self, leg: Leg) -> LegProgress:
        return self.legs[leg]

    def apply(self, event: Event) -> None:
        detail = event.detail or {}
        if event.status == MessageStatus.REPLAYED:
            # An operator's replay gives every refused leg, and the retry budget, a new start.
            self.failed_rounds = 0
            self.retry_at = None
            for progress in self.legs.values():
                if progress.state is LegState.REFUSED:
                    progress.state = progress._before_refusal
                    progress.failure = progress.code = None
        elif event.status == MessageStatus.RETRYING:
            if not detail.get("circuit_open"):
                self.failed_rounds += 1
            try:
                self.retry_at = datetime.fromisoformat(str(detail["next_at"]))
            except (KeyError, ValueError):
                self.retry_at = None
        elif event.status.startswith(MINISTRY_EVENT) and "ministry_status" in detail:
            self.ministry_status = int(detail["ministry_status"])
        elif event.status == LEG_EVENT:
            self._apply_leg(detail)

    def _apply_leg(self, detail: dict[str, Any]) -> None:
        try:
            progress = self.legs[Leg(str(detail.get("leg")))]
            state = LegState(str(detail.get("state")))
        except (ValueError, KeyError):
            return  # a leg this request does not make, or a state of a later version
        progress.recorded = True
        if isinstance(detail.get("result"), dict):
            progress.result.update(detail["result"])
        if state is LegState.FAILED:
            progress.failure = str(detail.get("reason", "failed"))
            return
        if state is LegState.REFUSED:
            if progress.state is not LegState.REFUSED:
                progress._before_refusal = progress.state
            progress.state = LegState.REFUSED
            progress.failure = str(detail.get("reason", "refused"))
            code = detail.get("code")
            progress.code = code if isinstance(code, int) else None
            return
        if state is not LegState.PENDING:
            progress.state = state
        progress.failure = progress.code = None

    def may_call(self, leg: Leg, now: datetime) -> bool:
        """Whether ``leg`` may be called now: not while its failure waits for its retry (the
        message may come back sooner, to follow the Ministry's status)."""
        if self.legs[leg].failure is None or self.retry_at is None:
            return True
        return now + _EARLY >= self.retry_at

    def waiting(self) -> list[LegProgress]:
        """Open legs whose last word is a failure: waiting for their retry."""
        return [p for p in self.legs.values() if p.open and p.failure is not None]

    def unrecorded(self) -> list[Leg]:
        return [leg for leg, progress in self.legs.items() if not progress.recorded]

    def refused(self) -> list[LegProgress]:
        return [p for p in self.legs.values() if p.state is LegState.REFUSED]

    def all_done(self) -> bool:
        return all(p.state is LegState.DONE for p in self.legs.values())

    def view(self) -> dict[str, str]:
        """Each leg's state, for logs and event details (no personal data)."""
        return {leg.value: p.state.value for leg, p in self.legs.items()}
