"""Adapters: one per axis, found through the ``lgsp.adapters`` entry point group."""

from lgsp.adapters.base import (
    ENTRY_POINT_GROUP,
    Adapter,
    AdapterContext,
    AdapterFactory,
    accepted_record,
    load_adapter,
    read_envelope,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "Adapter",
    "AdapterContext",
    "AdapterFactory",
    "accepted_record",
    "load_adapter",
    "read_envelope",
]
