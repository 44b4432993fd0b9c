"""Where a gateway is in its life: serving, or draining before it stops."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Lifecycle"]


@dataclass(slots=True)
class Lifecycle:
    draining: bool = False
    """Set on SIGTERM: ``/readyz`` answers 503 so load balancers stop sending here, while
    requests already on their way are still served."""
