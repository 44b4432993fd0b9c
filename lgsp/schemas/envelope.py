"""The envelope: what a caller submits (``Submission``) and what a recipient receives
(``Envelope``).

A caller posts ``{type, recipients, body, correlation_id?, deadline?, priority?}``; the gateway adds
``id``, ``sender`` (from the caller's credentials, never from the body) and ``created_at``. One
``Submission`` subclass per message type, each with a ``Literal`` ``type`` that discriminates the
union in ``lgsp.schemas``.

Not for: the bodies themselves (one module per axis) or transport (``lgsp.bus``).
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal, Self

from pydantic import AwareDatetime, Field, model_validator
from pydantic_core import PydanticCustomError

from lgsp.schemas._base import AgencyCode, LGSPModel
from lgsp.schemas.civil_status import BirthRegistration
from lgsp.schemas.document import DocumentSend, DocumentStatus
from lgsp.schemas.national import CitizenLookup

__all__ = [
    "BirthRegistrationSubmission",
    "CitizenLookupSubmission",
    "DocumentSendSubmission",
    "DocumentStatusSubmission",
    "Envelope",
    "Submission",
]

Body = DocumentSend | DocumentStatus | BirthRegistration | CitizenLookup


class Submission(LGSPModel):
    """Fields every message type shares, as a caller sends them."""

    request_reply: ClassVar[bool] = False
    """Lookups are answered synchronously (``POST /v1/requests``) and name no recipients."""

    type: str
    recipients: tuple[AgencyCode, ...] = Field(default=(), max_length=500)
    correlation_id: str | None = Field(default=None, min_length=1, max_length=128)
    deadline: AwareDatetime | None = None
    priority: int = Field(default=0, ge=0, le=4)
    """0 normal, 1 urgent, 2 very urgent, 3 flash, 4 flash with a set time (as edXML)."""
    body: Body

    @model_validator(mode="after")
    def _recipients_for_messages(self) -> Self:
        if not self.request_reply and not self.recipients:
            raise PydanticCustomError(
                "recipients_missing", "a message needs at least one recipient agency code"
            )
        if len(set(self.recipients)) != len(self.recipients):
            raise PydanticCustomError("recipients_repeated", "a recipient is listed twice")
        return self


class DocumentSendSubmission(Submission):
    """``document.send``: an electronic document (văn bản điện tử) to other agencies."""

    type: Literal["document.send"]
    body: DocumentSend


class DocumentStatusSubmission(Submission):
    """``document.status``: a recipient's processing status for a document it received."""

    type: Literal["document.status"]
    body: DocumentStatus


class BirthRegistrationSubmission(Submission):
    """``civil_status.birth``: a birth registration (đăng ký khai sinh)."""

    type: Literal["civil_status.birth"]
    body: BirthRegistration


class CitizenLookupSubmission(Submission):
    """``national.citizen_lookup``: a population database lookup (request-reply)."""

    request_reply: ClassVar[bool] = True
    type: Literal["national.citizen_lookup"]
    body: CitizenLookup


class Envelope(LGSPModel):
    """A message as the platform records and delivers it."""

    id: str
    type: str
    sender: AgencyCode
    recipients: tuple[AgencyCode, ...]
    correlation_id: str | None = None
    created_at: datetime
    deadline: AwareDatetime | None = None
    priority: int = 0
    body: Body

    @classmethod
    def of(cls, submission: Submission, *, id: str, sender: str, created_at: datetime) -> Envelope:
        return cls.model_construct(
            id=id,
            type=submission.type,
            sender=sender,
            recipients=submission.recipients,
            correlation_id=submission.correlation_id,
            created_at=created_at,
            deadline=submission.deadline,
            priority=submission.priority,
            body=submission.body,
        )
