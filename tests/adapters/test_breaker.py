"""Circuit breakers: open after consecutive failures, one probe after the cooldown, closed by its
success, opened again by its failure."""

from __future__ import annotations

import pytest

from lgsp.adapters.breaker import BreakerState, CircuitBreakers, CircuitOpen


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


URL = "https://qlvb.example/hook"


async def test_opens_after_the_threshold_and_probes_after_the_cooldown() -> None:
    clock = Clock()
    changes: list[tuple[str, BreakerState, int]] = []

    async def record(endpoint: str, state: BreakerState, failures: int) -> None:
        changes.append((endpoint, state, failures))

    breakers = CircuitBreakers(threshold=3, cooldown=30, clock=clock, on_change=record)
    for _ in range(2):
        breakers.before(URL)
        await breakers.failure(URL)
    assert breakers.state(URL) is BreakerState.CLOSED
    breakers.before(URL)
    await breakers.failure(URL)
    assert breakers.state(URL) is BreakerState.OPEN
    with pytest.raises(CircuitOpen):
        breakers.before(URL)

    clock.now += 31
    breakers.before(URL)  # the probe goes out
    assert breakers.state(URL) is BreakerState.HALF_OPEN
    with pytest.raises(CircuitOpen):
        breakers.before(URL)  # only one probe at a time
    await breakers.failure(URL)
    assert breakers.state(URL) is BreakerState.OPEN

    clock.now += 31
    breakers.before(URL)
    await breakers.success(URL)
    assert breakers.state(URL) is BreakerState.CLOSED
    breakers.before(URL)
    # Recorded: opened, opened again by the failed probe, closed by the good one.
    assert changes == [
        (URL, BreakerState.OPEN, 3),
        (URL, BreakerState.OPEN, 4),
        (URL, BreakerState.CLOSED, 0),
    ]


async def test_a_success_resets_the_count() -> None:
    breakers = CircuitBreakers(threshold=2, cooldown=30, clock=Clock())
    await breakers.failure(URL)
    await breakers.success(URL)
    await breakers.failure(URL)
    assert breakers.state(URL) is BreakerState.CLOSED


async def test_a_probe_that_never_reports_does_not_hold_the_circuit() -> None:
    clock = Clock()
    breakers = CircuitBreakers(threshold=1, cooldown=10, clock=clock)
    await breakers.failure(URL)
    clock.now += 11
    breakers.before(URL)  # a probe, whose process then dies
    clock.now += 11
    breakers.before(URL)  # another probe may go


async def test_endpoints_are_independent() -> None:
    breakers = CircuitBreakers(threshold=1, cooldown=10, clock=Clock())
    await breakers.failure(URL)
    breakers.before("https://other.example/hook")
