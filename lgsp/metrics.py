"""Prometheus metrics of one lgsp process: its own registry, the metrics the gateway and the
adapters record, and the text a scrape of ``GET /metrics`` reads.

One ``Metrics`` per process, built by ``lgsp.runtime.open_services`` (or by ``create_app`` when it
is given none) and passed down; prometheus_client's global default registry is never used, so two
apps in one test process never share a counter.

Every label comes from a small fixed set: HTTP methods, route templates, status codes, the known
message types, axes, outcomes. None is ever taken from a path, a body or anything else a caller
wrote, so no personal ID number or name can reach a metric, by construction.

Not for: logs (``lgsp.logs``), operators' statistics (the journal), or serving HTTP (the gateway
and ``lgsp.runtime.serve_metrics`` answer ``/metrics`` with ``exposition()``).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from lgsp import __version__
from lgsp.bus import Bus, Settled
from lgsp.schemas import MESSAGE_TYPES

__all__ = ["CONTENT_TYPE", "UNMATCHED", "Metrics"]

# The 0.0.4 text format: every Prometheus server reads it (2.x does not know the newer label).
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
"""The ``Content-Type`` of ``exposition()``."""
UNMATCHED = "unmatched"
"""The ``route`` label of a request no route took (an unknown path: 404)."""

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Deliveries and lookups wait on far sides for up to their timeouts (10 s, 30 s): wider buckets.
_SLOW_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


@runtime_checkable
class _CountsRequests(Protocol):
    """Both buses count the lookups they wait on, though ``Bus`` does not promise it."""

    @property
    def pending_requests(self) -> int: ...


def _type_label(message_type: str) -> str:
    return message_type if message_type in MESSAGE_TYPES else "other"


class Metrics:
    """The registry of one process and the metrics in it, each recorded through a method that
    keeps its labels to their fixed sets."""

    def __init__(self, *, version: str = __version__) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.http_requests = Counter(
            "lgsp_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=r,
        )
        self.http_duration = Histogram(
            "lgsp_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template.",
            ["route"],
            registry=r,
        )
        self.messages_accepted = Counter(
            "lgsp_messages_accepted",
            "Messages accepted (journaled and confirmed by the broker), by type.",
            ["type"],
            registry=r,
        )
        self.messages_refused = Counter(
            "lgsp_messages_refused",
            "Submissions (POST /v1/messages, /v1/documents) refused with a 4xx or 503, by status.",
            ["status"],
            registry=r,
        )
        self.deliveries = Counter(
            "lgsp_deliveries",
            "Deliveries handled by an adapter, by axis and outcome "
            "(handled, retry, parked, requeued).",
            ["axis", "outcome"],
            registry=r,
        )
        self.delivery_duration = Histogram(
            "lgsp_delivery_duration_seconds",
            "Time an adapter took over one delivery, by axis.",
            ["axis"],
            buckets=_SLOW_BUCKETS,
            registry=r,
        )
        self.lookups = Counter(
            "lgsp_lookups",
            "Lookups (POST /v1/requests), by type and outcome "
            "(found, not_found, failed, timeout, unavailable, cancelled).",
            ["type", "outcome"],
            registry=r,
        )
        self.lookup_duration = Histogram(
            "lgsp_lookup_duration_seconds",
            "Time a lookup waited for its answer, by type.",
            ["type"],
            buckets=_SLOW_BUCKETS,
            registry=r,
        )
        self.requests_pending = Gauge(
            "lgsp_requests_pending", "Lookups waiting on a reply now.", registry=r
        )
        self.broker_connected = Gauge(
            "lgsp_broker_connected", "1 while the bus is connected to the broker.", registry=r
        )
        build = Gauge("lgsp_build_info", "The lgsp version running.", ["version"], registry=r)
        build.labels(version).set(1)

    def watch_bus(self, bus: Bus) -> None:
        """Read the bus's connection and pending lookups at each scrape."""
        self.broker_connected.set_function(lambda: 1.0 if bus.is_connected() else 0.0)
        if isinstance(bus, _CountsRequests):
            self.requests_pending.set_function(lambda: float(bus.pending_requests))

    def http_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """``route``: a route's template (``/v1/messages/{id}``) or ``UNMATCHED``, never a path."""
        method = method if method in _METHODS else "other"
        self.http_requests.labels(method, route, str(status)).inc()
        self.http_duration.labels(route).observe(seconds)

    def refused(self, status: int) -> None:
        self.messages_refused.labels(str(status)).inc()

    def accepted(self, message_type: str) -> None:
        self.messages_accepted.labels(_type_label(message_type)).inc()

    def lookup(self, message_type: str, outcome: str, seconds: float) -> None:
        label = _type_label(message_type)
        self.lookups.labels(label, outcome).inc()
        self.lookup_duration.labels(label).observe(seconds)

    def delivery_settled(self, axis: str, settled: Settled, seconds: float) -> None:
        """One delivery of ``axis`` settled as the bus's scope decided it (``lgsp.bus.scope``):
        counted by that outcome and timed; the ``lgsp.bus.DeliveryObserver`` of a process."""
        self.deliveries.labels(axis, settled.value).inc()
        self.delivery_duration.labels(axis).observe(seconds)

    def exposition(self) -> bytes:
        """The registry in Prometheus's text format (``CONTENT_TYPE``)."""
        return generate_latest(self.registry)
