"""Journaled messages back onto the bus: what a replay or a recovery publishes.

The journal keeps each accepted message's bytes (or blob reference) and envelope; from them the
message is rebuilt exactly as the gateway first published it, under the same id.

Not for: deciding what to replay (``lgsp.ops``) or when a message needs recovering (acceptance).
"""

from __future__ import annotations

from lgsp.bus import OutgoingMessage
from lgsp.bus.envelope import EnvelopeHeaders
from lgsp.journal import MessageRecord

__all__ = ["outgoing_from_record"]


def outgoing_from_record(
    message: MessageRecord, payload: bytes, *, replay: bool = False
) -> OutgoingMessage:
    """A journaled message as the gateway first published it (for recovery). An operator's
    ``replay`` drops the deadline (the operator decided it is still wanted) and says so."""
    envelope = EnvelopeHeaders(
        sender=message.sender,
        created_at=message.created_at,
        system=message.sender_system,
        recipients=message.recipients,
        priority=message.priority,
        deadline=None if replay else message.deadline,
        signature=message.signature,
        blob=message.payload_ref,
        replayed=replay,
    )
    return OutgoingMessage(
        message_id=message.id,
        routing_key=message.type,
        body=payload,
        type=message.type,
        headers=envelope.to_headers(),
        correlation_id=message.correlation_id,
        content_type=message.content_type,
        timestamp=message.created_at,
    )
