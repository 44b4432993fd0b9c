"""The document axis's business statuses: what a recipient reports back about a document.

A ``document.status`` (edXML status package, codes 01–16) from a recipient is recorded on the
original document's message as an event per recipient (``01`` arrived, ``03`` accepted, ``05`` in
progress, ``06`` done...), with its timestamp and staff; once every recipient reports ``06`` the
document is ``done``. A ``document.revoke`` from the original sender marks the document ``revoked``.
Originals are found by their edXML DocumentId (``OrganId,yyyy/MM/dd,Number/Notation``).

Not for: delivering the status to the original sender (the document adapter does that like any
other message).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog

from lgsp.journal import IN_FLIGHT, Event, Journal, MessageRecord, MessageStatus, StatusChange
from lgsp.schemas import DocumentSend, DocumentStatus, StatusCode

__all__ = ["BusinessStatus", "document_id_of", "record_business_status", "record_revoke"]

log = structlog.get_logger(__name__)

_DONE = StatusCode.DONE.value
_NOT_DONE = IN_FLIGHT | {MessageStatus.DELIVERED, MessageStatus.DEAD}
"""What the last recipient's ``06`` may move a document to ``done`` from: never ``revoked``,
``discarded`` or ``rejected``."""
_DOCUMENT_TYPES = frozenset({"document.send", "document.update", "document.replace"})


def document_id_of(body: DocumentSend, *, sender: str) -> str:
    """The edXML DocumentId of a document: given, or built as the standard spells it."""
    given = getattr(body, "document_id", None)
    if given:
        return str(given)
    date = body.promulgation.date.strftime("%Y/%m/%d")
    return f"{sender},{date},{body.code.number}/{body.code.notation}"


@dataclass(frozen=True, slots=True)
class BusinessStatus:
    """One status report: who reports what about which document."""

    document_id: str
    original_sender: str
    reporter: str
    code: str
    timestamp: datetime
    description: str | None = None
    staff: dict[str, Any] | None = None

    @classmethod
    def from_json(cls, body: DocumentStatus, *, reporter: str) -> BusinessStatus:
        stamp = body.timestamp if body.timestamp.tzinfo else body.timestamp.replace(tzinfo=UTC)
        return cls(
            document_id=body.response_for.document_id,
            original_sender=body.response_for.organ_id,
            reporter=reporter,
            code=StatusCode(body.status_code).value,
            timestamp=stamp,
            description=body.description,
            staff=body.staff.model_dump(exclude_none=True) if body.staff else None,
        )

    @property
    def name(self) -> str:
        return StatusCode(self.code).name.lower()


async def _originals(journal: Journal, document_id: str, sender: str) -> list[MessageRecord]:
    found = await journal.by_document_id(document_id)
    return [m for m in found if m.sender == sender and m.type in _DOCUMENT_TYPES]


async def record_business_status(
    journal: Journal, status: BusinessStatus, *, message_id: str
) -> int:
    """Record ``status`` on the documents it answers; returns how many were found.

    Only a recipient of a document may report on it: a status from anyone else is ignored (and
    logged), so no system can rewrite another's history.
    """
    recorded = 0
    for original in await _originals(journal, status.document_id, status.original_sender):
        if status.reporter not in original.recipients:
            log.warning("status_from_non_recipient", document=original.id, reporter=status.reporter)
            continue
        detail: dict[str, Any] = {"name": status.name, "status_message_id": message_id}
        if status.description:
            detail["description"] = status.description
        if status.staff:
            detail["staff"] = status.staff
        event = Event(status.code, status.timestamp, recipient=status.reporter, detail=detail)
        await journal.change(StatusChange(original.id, event))
        # Checked after our own event is committed: of two last reports recorded at once, the
        # later check sees both, so the document is never left short of ``done``.
        if status.code == _DONE and await _all_done(journal, original):
            done = Event(MessageStatus.DONE, datetime.now(UTC))
            await journal.change(
                StatusChange(original.id, done, new_status=MessageStatus.DONE, only_from=_NOT_DONE)
            )
        recorded += 1
    return recorded


async def _all_done(journal: Journal, original: MessageRecord) -> bool:
    full = await journal.get(original.id)
    if full is None or full.status == MessageStatus.DONE:
        return False
    done = {e.recipient for e in full.events if e.status == _DONE}
    return set(original.recipients) <= done


async def record_revoke(journal: Journal, *, document_id: str, sender: str, message_id: str) -> int:
    """Mark the sender's document ``document_id`` revoked (thu hồi); returns how many."""
    originals = await _originals(journal, document_id, sender)
    for original in originals:
        event = Event(
            MessageStatus.REVOKED, datetime.now(UTC), detail={"revoke_message_id": message_id}
        )
        await journal.change(StatusChange(original.id, event, new_status=MessageStatus.REVOKED))
    return len(originals)
