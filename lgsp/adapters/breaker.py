"""Circuit breakers, one per delivery endpoint (a webhook URL, the national axis).

After ``threshold`` consecutive failures an endpoint's circuit opens: deliveries to it fail at once
as transient, so their messages wait in the delay queues instead of hammering an endpoint that is
down (and instead of holding a consumer). After ``cooldown`` seconds one delivery goes through as
a probe: its success closes the circuit, its failure opens it again for another cooldown.

Each adapter process keeps its own breakers; their state changes are written to the journal
(``endpoints``), where operators see them (``GET /v1/ops/endpoints``).
"""

from __future__ import annotations

import enum
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog

from lgsp.errors import (
    DeliveryError,
    JournalUnavailable,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from lgsp.journal import Journal
from lgsp.settings import Settings

__all__ = ["BreakerState", "CircuitBreakers", "CircuitOpen"]

log = structlog.get_logger(__name__)


class BreakerState(enum.StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitOpen(TransientDeliveryError):
    """The endpoint's circuit is open: not called, try later."""


@dataclass(slots=True)
class _Circuit:
    state: BreakerState = BreakerState.CLOSED
    failures: int = 0
    opened_at: float = 0.0
    probing: bool = False
    probe_started: float = 0.0


Listener = Callable[[str, BreakerState, int], Awaitable[None]]


class CircuitBreakers:
    def __init__(
        self,
        *,
        threshold: int = 5,
        cooldown: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        on_change: Listener | None = None,
    ) -> None:
        self._threshold = threshold
        self._cooldown = cooldown
        self._clock = clock
        self._on_change = on_change
        self._circuits: dict[str, _Circuit] = {}

    @classmethod
    def recorded(cls, settings: Settings, journal: Journal) -> CircuitBreakers:
        """Breakers as ``settings`` say, each change of state logged and written to the
        journal's endpoints, where operators see it."""

        async def record(endpoint: str, state: BreakerState, failures: int) -> None:
            log.warning("circuit_" + state.value, endpoint=endpoint, failures=failures)
            try:
                await journal.record_endpoint(endpoint, state=state.value, failures=failures)
            except JournalUnavailable as exc:
                log.warning("circuit_state_not_recorded", endpoint=endpoint, error=str(exc))

        return cls(
            threshold=settings.breaker_threshold,
            cooldown=settings.breaker_cooldown,
            on_change=record,
        )

    def state(self, endpoint: str) -> BreakerState:
        return self._circuits.get(endpoint, _Circuit()).state

    def before(self, endpoint: str) -> None:
        """Raise ``CircuitOpen`` unless a call to ``endpoint`` may go out now."""
        circuit = self._circuits.get(endpoint)
        if circuit is None or circuit.state is BreakerState.CLOSED:
            return
        if circuit.state is BreakerState.OPEN:
            wait = circuit.opened_at + self._cooldown - self._clock()
            if wait > 0:
                raise CircuitOpen(
                    f"circuit open after {circuit.failures} failures; next probe in {wait:.0f}s",
                    target=endpoint,
                )
            circuit.state = BreakerState.HALF_OPEN
            circuit.probing = False
        # A probe that never reported back (its process died) does not hold the circuit forever.
        if circuit.probing and self._clock() - circuit.probe_started < self._cooldown:
            raise CircuitOpen("circuit half open: a probe is under way", target=endpoint)
        circuit.probing = True
        circuit.probe_started = self._clock()

    async def success(self, endpoint: str) -> None:
        circuit = self._circuits.get(endpoint)
        if circuit is None:
            return
        changed = circuit.state is not BreakerState.CLOSED
        del self._circuits[endpoint]
        if changed:
            await self._notify(endpoint, BreakerState.CLOSED, 0)

    async def failure(self, endpoint: str) -> None:
        circuit = self._circuits.setdefault(endpoint, _Circuit())
        circuit.failures += 1
        circuit.probing = False
        was = circuit.state
        if circuit.state is BreakerState.HALF_OPEN or circuit.failures >= self._threshold:
            circuit.state = BreakerState.OPEN
            circuit.opened_at = self._clock()
        if circuit.state is not was:
            await self._notify(endpoint, circuit.state, circuit.failures)

    async def judge(self, endpoint: str, error: DeliveryError) -> None:
        """What a failed call says about its endpoint: a refusal (a 4xx, a far side's "bad
        data") means it is up; a timeout, a 5xx or a refused connection counts towards opening
        its circuit; an open circuit's own refusal says nothing (the endpoint was not called)."""
        if isinstance(error, CircuitOpen):
            return
        if isinstance(error, PermanentDeliveryError):
            await self.success(endpoint)
        else:
            await self.failure(endpoint)

    async def _notify(self, endpoint: str, state: BreakerState, failures: int) -> None:
        if self._on_change is not None:
            await self._on_change(endpoint, state, failures)
