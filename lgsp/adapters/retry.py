"""When to try a failed delivery again: exponential steps from config, with jitter, capped by the
message's deadline and a number of attempts.

The adapters ask; the bus carries out the answer (a delay queue on RabbitMQ, never a sleep with the
message in memory).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from lgsp.settings import Settings

__all__ = ["RetryPolicy"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    schedule: tuple[float, ...] = (1.0, 5.0, 30.0, 120.0, 600.0, 3600.0)
    """Seconds before retry 1, 2, ...; past the last step, the last step repeats."""
    max_attempts: int = 30
    jitter: float = 0.2
    rand: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(settings.retry_schedule, settings.retry_max_attempts, settings.retry_jitter)

    def delay_for(self, attempt: int) -> float:
        """Seconds before retry ``attempt + 1``, shortened at random by up to ``jitter``."""
        base = self.schedule[min(attempt, len(self.schedule) - 1)]
        return base * (1.0 - self.jitter * self.rand())

    def next_delay(self, attempt: int, *, now: datetime, deadline: datetime | None) -> float | None:
        """Seconds to wait before the next try, or ``None`` when there is none to make: the
        attempts are spent, or the next one would come after the deadline."""
        if attempt >= self.max_attempts:
            return None
        delay = self.delay_for(attempt)
        if deadline is not None and now + timedelta(seconds=delay) > deadline:
            return None
        return delay
