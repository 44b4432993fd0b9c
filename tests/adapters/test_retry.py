"""The retry policy: steps from config, jitter, the attempt cap and the deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lgsp.adapters.retry import RetryPolicy
from lgsp.settings import Settings

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def test_steps_then_the_last_step_repeats() -> None:
    policy = RetryPolicy((1, 5, 30), max_attempts=10, jitter=0.0)
    assert [policy.next_delay(a, now=NOW, deadline=None) for a in range(5)] == [1, 5, 30, 30, 30]


@pytest.mark.parametrize("draw", [0.0, 0.5, 0.999])
def test_jitter_only_shortens_and_by_at_most_its_share(draw: float) -> None:
    policy = RetryPolicy((10,), max_attempts=3, jitter=0.2, rand=lambda: draw)
    delay = policy.delay_for(0)
    assert 8.0 < delay <= 10.0
    assert delay == pytest.approx(10 * (1 - 0.2 * draw))


def test_attempts_are_capped() -> None:
    policy = RetryPolicy((1,), max_attempts=2, jitter=0.0)
    assert policy.next_delay(1, now=NOW, deadline=None) == 1
    assert policy.next_delay(2, now=NOW, deadline=None) is None


def test_no_retry_past_the_deadline() -> None:
    policy = RetryPolicy((60,), max_attempts=5, jitter=0.0)
    assert policy.next_delay(0, now=NOW, deadline=NOW + timedelta(seconds=61)) == 60
    assert policy.next_delay(0, now=NOW, deadline=NOW + timedelta(seconds=59)) is None


def test_from_settings() -> None:
    settings = Settings(retry_schedule=(2.0, 4.0), retry_max_attempts=7, retry_jitter=0.1)
    policy = RetryPolicy.from_settings(settings)
    assert (policy.schedule, policy.max_attempts, policy.jitter) == ((2.0, 4.0), 7, 0.1)
