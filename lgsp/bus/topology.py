"""Names and shape of the broker topology, shared by both buses.

One durable topic exchange ``<prefix>.messages`` takes every message with its type as routing key
(``document.send``); each axis has a quorum work queue bound with ``<axis>.#``. Anything no queue
binds goes to the alternate exchange and its queue ``<prefix>.unroutable``; parked messages go to
``<prefix>.dead``. The prefix lets several deployments (or test runs) share one vhost.
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

    @staticmethod
    def binding(axis: str) -> str:
        return f"{axis}.#"

    def axis_for(self, routing_key: str) -> str | None:
        """The axis whose work queue takes ``routing_key``, or ``None`` when none does."""
        axis = routing_key.split(".", 1)[0]
        return axis if axis in self.axes else None
