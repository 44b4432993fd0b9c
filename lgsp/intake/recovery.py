"""Journaled messages back onto the bus: what a replay or a recovery publishes.

The journal keeps each accepted message's bytes (or blob reference) and envelope; from them the
message is rebuilt exactly as the gateway first published it, under the same id.
"""

from __future__ import annotations

from typing import Any

from lgsp.bus import OutgoingMessage
from lgsp.documents.formats import BLOB_HEADER
from lgsp.journal import MessageRecord

__all__ = ["outgoing_from_record"]


def outgoing_from_record(
    message: MessageRecord, payload: bytes, *, keep_deadline: bool = True, **extra: Any
) -> OutgoingMessage:
    """A journaled message as the gateway first published it (for recovery and replays)."""
    headers: dict[str, Any] = {
        "x-lgsp-sender": message.sender,
        "x-lgsp-sender-system": message.sender_system,
        "x-lgsp-recipients": list(message.recipients),
        "x-lgsp-created-at": message.created_at.isoformat(),
        "x-lgsp-priority": message.priority,
        **extra,
    }
    if message.deadline is not None and keep_deadline:
        headers["x-lgsp-deadline"] = message.deadline.isoformat()
    if message.signature is not None:
        headers["x-lgsp-signature"] = message.signature
    if message.payload_ref is not None:
        headers[BLOB_HEADER] = message.payload_ref
    return OutgoingMessage(
        message_id=message.id,
        routing_key=message.type,
        body=payload,
        type=message.type,
        headers=headers,
        correlation_id=message.correlation_id,
        content_type=message.content_type,
        timestamp=message.created_at,
    )
