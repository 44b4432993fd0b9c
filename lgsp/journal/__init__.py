"""The journal: registered systems, messages, their histories and delivery attempts."""

from lgsp.journal.records import Attempt, Event, MessageRecord, NewMessage, System, SystemFormat
from lgsp.journal.statuses import (
    IN_FLIGHT,
    SETTLED,
    EventStatus,
    HistoryMark,
    LegState,
    MessageStatus,
    RecipientState,
    event_status,
)
from lgsp.journal.store import IdempotencyClash, Journal
from lgsp.journal.systems import SystemRegistry, hash_api_key
from lgsp.journal.writes import StatusChange

__all__ = [
    "IN_FLIGHT",
    "SETTLED",
    "Attempt",
    "Event",
    "EventStatus",
    "HistoryMark",
    "IdempotencyClash",
    "Journal",
    "LegState",
    "MessageRecord",
    "MessageStatus",
    "NewMessage",
    "RecipientState",
    "StatusChange",
    "System",
    "SystemFormat",
    "SystemRegistry",
    "event_status",
    "hash_api_key",
]
