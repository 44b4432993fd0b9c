"""One document-axis message in the form each recipient reads: a JSON envelope or an edXML package.

A message keeps the spelling its sender used (the caller's JSON or edXML bytes, or a blob reference
for large packages); a recipient whose system is registered with the other format gets it
converted, once per message, through the codec's JSON ↔ edXML mappings. Organ details a JSON
sender does not give (``From``/``To``) are filled with the agency codes.

Not for: deciding who the recipients are (the document adapter) or transport.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pydantic import ValidationError

from lgsp.blobs import BlobMissing, BlobStore
from lgsp.bus import Delivery
from lgsp.bus.envelope import EnvelopeHeaders
from lgsp.documents.status import document_id_of
from lgsp.errors import PermanentDeliveryError
from lgsp.journal import MessageRecord
from lgsp.schemas import SUBMISSION, DocumentSend, DocumentStatus, Envelope
from lgsp.schemas.edxml import (
    EdxmlDocument,
    EdxmlInvalid,
    EdxmlStatus,
    Organization,
    document_from_json,
    document_to_json,
    parse,
    status_from_json,
    status_to_json,
    write,
)

__all__ = ["XML", "DocumentMessage"]

XML = "application/xml"


@dataclass
class DocumentMessage:
    id: str
    type: str
    sender: str
    recipients: tuple[str, ...]
    created_at: datetime
    content_type: str
    payload: bytes
    correlation_id: str | None = None
    priority: int = 0
    deadline: datetime | None = None
    _json: bytes | None = field(default=None, repr=False)
    _edxml: bytes | None = field(default=None, repr=False)

    @classmethod
    async def load(cls, delivery: Delivery, blobs: BlobStore | None) -> DocumentMessage:
        envelope = EnvelopeHeaders.from_delivery(delivery)
        payload = delivery.body
        if envelope.blob is not None:
            if blobs is None:
                raise PermanentDeliveryError(
                    f"message refers to blob {envelope.blob} but no store is set"
                )
            try:
                payload = await blobs.get(envelope.blob)
            except BlobMissing as exc:
                raise PermanentDeliveryError(str(exc)) from exc
        return cls(
            id=delivery.message_id,
            type=delivery.type,
            sender=envelope.sender,
            recipients=envelope.recipients,
            created_at=envelope.created_at,
            content_type=delivery.content_type,
            payload=payload,
            correlation_id=delivery.correlation_id,
            priority=envelope.priority,
            deadline=envelope.deadline,
        )

    @classmethod
    def from_record(cls, record: MessageRecord, payload: bytes) -> DocumentMessage:
        """The message as the journal keeps it (``payload``: its bytes, from the blob store when
        the record names one)."""
        return cls(
            id=record.id,
            type=record.type,
            sender=record.sender,
            recipients=record.recipients,
            created_at=record.created_at,
            content_type=record.content_type,
            payload=payload,
            correlation_id=record.correlation_id,
            priority=record.priority,
            deadline=record.deadline,
        )

    @property
    def is_edxml(self) -> bool:
        return self.content_type == XML

    def as_json(self) -> bytes:
        """The envelope JSON a JSON system receives."""
        if self._json is None:
            self._json = self._envelope().model_dump_json().encode()
        return self._json

    def as_edxml(self) -> bytes:
        """The edXML package an edXML system (or the national axis) receives."""
        if self._edxml is None:
            self._edxml = self.payload if self.is_edxml else self._write_edxml()
        return self._edxml

    def _package(self) -> EdxmlDocument | EdxmlStatus:
        try:
            return parse(self.payload, max_bytes=len(self.payload) + 1)
        except EdxmlInvalid as exc:  # it parsed at the gateway: a bug or a foreign publisher
            raise PermanentDeliveryError(f"stored package no longer parses: {exc}") from exc

    def _body(self) -> DocumentSend | DocumentStatus:
        if self.is_edxml:
            package = self._package()
            if isinstance(package, EdxmlStatus):
                return status_to_json(package)
            return document_to_json(package)
        try:
            body = SUBMISSION.validate_json(self.payload).body
        except ValidationError as exc:
            raise PermanentDeliveryError(f"unreadable message on the bus: {exc}") from exc
        if not isinstance(body, DocumentSend | DocumentStatus):
            raise PermanentDeliveryError(f"{self.type} is not a document-axis message")
        return body

    def _envelope(self) -> Envelope:
        return Envelope(
            id=self.id,
            type=self.type,
            sender=self.sender,
            recipients=self.recipients,
            correlation_id=self.correlation_id,
            created_at=self.created_at,
            priority=self.priority,
            body=self._body(),
        )

    def _write_edxml(self) -> bytes:
        body = self._body()
        sender = Organization(organ_id=self.sender)
        if isinstance(body, DocumentStatus):
            return write(status_from_json(body, sender=sender))
        recipients = [Organization(organ_id=r) for r in self.recipients]
        document = document_from_json(body, sender=sender, recipients=recipients)
        if document.document_id is None:
            # The standard's DocumentId, so that status packages can name this document.
            document_id = document_id_of(body, sender=self.sender)
            document = document.model_copy(update={"document_id": document_id})
        return write(document)
