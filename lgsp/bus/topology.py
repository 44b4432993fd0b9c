"""Names and shape of the broker topology, shared by both buses.

One durable topic exchange ``<prefix>.messages`` takes every message with its type as routing key
(``document.send``); each axis has a quorum work queue bound with ``<axis>.#``. Anything no queue
binds goes to the alternate exchange and its queue ``<prefix>.unroutable``; parked messages go to
``<prefix>.dead``. Retries wait in delay queues ``<prefix>.delay.<ms>ms`` (one fanout exchange and
quorum queue per step, per-message TTL, dead-lettered back into ``<prefix>.messages`` with their
routing key). The prefix lets several deployments (or test runs) share one vhost.

Requests (lookups) take a road of their own, so that they never wait behind an axis's backlog or
its retries: the durable topic exchange ``<prefix>.requests`` (routing key: the type) feeds one
quorum queue per axis, ``<prefix>.<axis>.requests``, bound with ``<axis>.#``. Requests are not
dead-lettered: each carries its remaining time as its expiration and simply vanishes when nobody
answered in time. Replies go through the default exchange to the reply queue of the process that
asked, ``<prefix>.replies.<instance>``: exclusive, gone with its process.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AXES", "Topology"]

AXES = ("document", "civil_status", "national")


@dataclass(frozen=True, slots=True)
class Topology:
    prefix: str = "lgsp"
    axes: tuple[str, ...] = AXES
    delivery_limit: int = 20
    delay_steps: tuple[float, ...] = (1.0, 5.0, 30.0, 120.0, 600.0, 3600.0)
    """Seconds: one delay queue per step; a message waits in the smallest step not shorter than
    its delay, with its own TTL, then dead-letters back into the messages exchange."""

    @property
    def messages_exchange(self) -> str:
        return f"{self.prefix}.messages"

    @property
    def unroutable_exchange(self) -> str:
        return f"{self.prefix}.unroutable"

    @property
    def unroutable_queue(self) -> str:
        return f"{self.prefix}.unroutable"

    @property
    def dead_exchange(self) -> str:
        return f"{self.prefix}.dead"

    @property
    def dead_queue(self) -> str:
        return f"{self.prefix}.dead"

    def work_queue(self, axis: str) -> str:
        return f"{self.prefix}.{axis}"

    @property
    def requests_exchange(self) -> str:
        return f"{self.prefix}.requests"

    def request_queue(self, axis: str) -> str:
        return f"{self.prefix}.{axis}.requests"

    def reply_queue(self, instance: str) -> str:
        """The reply queue of one process (one bus instance), ``instance`` unique to it."""
        return f"{self.prefix}.replies.{instance}"

    @staticmethod
    def binding(axis: str) -> str:
        return f"{axis}.#"

    def delay_step(self, seconds: float) -> float:
        """The step whose queue holds a message delayed by ``seconds``."""
        steps = sorted(self.delay_steps)
        return next((step for step in steps if step >= seconds), steps[-1])

    def delay_exchange(self, step: float) -> str:
        return f"{self.prefix}.delay.{round(step * 1000)}ms"

    def delay_queue(self, step: float) -> str:
        return self.delay_exchange(step)

    def axis_for(self, routing_key: str) -> str | None:
        """The axis whose work queue takes ``routing_key``, or ``None`` when none does."""
        axis = routing_key.split(".", 1)[0]
        return axis if axis in self.axes else None
