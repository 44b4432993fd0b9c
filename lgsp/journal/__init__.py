"""The journal: registered systems, messages, their histories and delivery attempts."""

from lgsp.journal.records import Attempt, Event, MessageRecord, NewMessage, System, SystemFormat
from lgsp.journal.store import IN_FLIGHT, SETTLED, IdempotencyClash, Journal
from lgsp.journal.systems import SystemRegistry, hash_api_key
from lgsp.journal.writes import StatusChange

__all__ = [
    "IN_FLIGHT",
    "SETTLED",
    "Attempt",
    "Event",
    "IdempotencyClash",
    "Journal",
    "MessageRecord",
    "NewMessage",
    "StatusChange",
    "System",
    "SystemFormat",
    "SystemRegistry",
    "hash_api_key",
]
