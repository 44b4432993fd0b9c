"""The message bus: topology, publishing with confirms, consumers; RabbitMQ or embedded."""

from lgsp.bus.base import (
    ATTEMPT_HEADER,
    PARK_REASON_HEADER,
    Bus,
    Delivery,
    DeliveryObserver,
    Handler,
    Outcome,
    OutgoingMessage,
    Reply,
    ReplyOutcome,
    RequestHandler,
    Settled,
    attempt_of,
)
from lgsp.bus.memory import MemoryBroker, MemoryBus
from lgsp.bus.rabbit import RabbitBus, redact_url
from lgsp.bus.topology import AXES, Topology
from lgsp.settings import Settings

__all__ = [
    "ATTEMPT_HEADER",
    "AXES",
    "PARK_REASON_HEADER",
    "Bus",
    "Delivery",
    "DeliveryObserver",
    "Handler",
    "MemoryBroker",
    "MemoryBus",
    "Outcome",
    "OutgoingMessage",
    "RabbitBus",
    "Reply",
    "ReplyOutcome",
    "RequestHandler",
    "Settled",
    "Topology",
    "attempt_of",
    "create_bus",
    "redact_url",
]


def create_bus(settings: Settings) -> Bus:
    """The bus ``settings`` name, not yet started."""
    topology = Topology(
        prefix=settings.broker_prefix,
        delivery_limit=settings.delivery_limit,
        delay_steps=settings.retry_schedule,
    )
    if settings.bus == "memory":
        return MemoryBus(topology, prefetch=settings.prefetch)
    return RabbitBus(
        settings.broker_url,
        topology,
        publish_timeout=settings.publish_timeout,
        connect_timeout=settings.connect_timeout,
        prefetch=settings.prefetch,
        publisher_channels=settings.publisher_channels,
    )
