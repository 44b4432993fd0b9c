"""The envelope: what a caller submits (``Submission``) and what a recipient receives
(``Envelope``).

A caller posts ``{type, recipients, body, correlation_id?, deadline?, priority?}``; the gateway adds
``id``, ``sender`` (from the caller's credentials, never from the body) and ``created_at``. One
``Submission`` subclass per message type, each with a ``Literal`` ``type`` that discriminates the
union in ``lgsp.schemas``. ``document.send``, ``.revoke``, ``.update`` and ``.replace`` share the
body ``DocumentSend``; its ``business.doc_type`` must say the same as the type, so that the JSON and
the edXML spelling of a message cannot disagree on what it does.

Not for: the bodies themselves (one module per axis) or transport (``lgsp.bus``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal, Self

from pydantic import AwareDatetime, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from lgsp.schemas._base import AgencyCode, LGSPModel
from lgsp.schemas.civil_status import BirthRegistration
from lgsp.schemas.civil_status_death import DeathRegistration
from lgsp.schemas.civil_status_lookup import CivilStatusLookup
from lgsp.schemas.civil_status_marriage import MarriageRegistration
from lgsp.schemas.document import BusinessDocType, DocumentSend, DocumentStatus
from lgsp.schemas.dossier import DossierSync
from lgsp.schemas.national import CatalogLookup, CitizenLookup

__all__ = [
    "BirthRegistrationSubmission",
    "CatalogLookupSubmission",
    "CitizenLookupSubmission",
    "CivilStatusLookupSubmission",
    "DeathRegistrationSubmission",
    "DocumentReplaceSubmission",
    "DocumentRevokeSubmission",
    "DocumentSendSubmission",
    "DocumentStatusSubmission",
    "DocumentUpdateSubmission",
    "DossierSyncSubmission",
    "Envelope",
    "MarriageRegistrationSubmission",
    "Submission",
]

# Read by ``Envelope`` in smart mode: no two bodies accept the same JSON (``CivilStatusLookup``
# requires ``record_kind``, which ``CitizenLookup`` refuses), so the body cannot change kind.
Body = (
    DocumentSend
    | DocumentStatus
    | BirthRegistration
    | DeathRegistration
    | MarriageRegistration
    | CivilStatusLookup
    | CitizenLookup
    | CatalogLookup
    | DossierSync
)


def _recipients_as_checked(schema: dict[str, Any], cls: type[Any]) -> None:
    """State in the JSON Schema what ``_recipients_for_messages`` checks: a message names at
    least one recipient and none twice; a lookup names none."""
    recipients = schema.get("properties", {}).get("recipients")
    if recipients is None:
        return
    if getattr(cls, "request_reply", False):
        recipients["maxItems"] = 0
        return
    recipients.pop("default", None)
    recipients.update(minItems=1, uniqueItems=True)
    schema["required"] = sorted({*schema.get("required", []), "recipients"})


class Submission(LGSPModel):
    """Fields every message type shares, as a caller sends them."""

    model_config = ConfigDict(json_schema_extra=_recipients_as_checked)

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


class _DocumentSubmission(Submission):
    """A document message; ``business_doc_type`` is what its ``body.business.doc_type`` must be."""

    business_doc_type: ClassVar[BusinessDocType]
    body: DocumentSend

    @field_validator("body")
    @classmethod
    def _business_matches_type(cls, body: DocumentSend) -> DocumentSend:
        expected = cls.business_doc_type
        given = body.business.doc_type if body.business is not None else None
        # A new document may leave Bussiness out; the others say in it which document they change.
        if given == expected or (given is None and expected is BusinessDocType.NEW):
            return body
        raise PydanticCustomError(
            "business_doc_type_mismatch",
            "body.business.doc_type must be {expected} ({name}) for this message type; got {given}",
            {"expected": int(expected), "name": expected.name.lower(), "given": _spell(given)},
        )


def _spell(doc_type: BusinessDocType | None) -> str:
    return "no business" if doc_type is None else f"{int(doc_type)} ({doc_type.name.lower()})"


class DocumentSendSubmission(_DocumentSubmission):
    """``document.send``: an electronic document (văn bản điện tử) to other agencies."""

    business_doc_type: ClassVar[BusinessDocType] = BusinessDocType.NEW
    type: Literal["document.send"]


class DocumentRevokeSubmission(_DocumentSubmission):
    """``document.revoke``: take back a document already sent (thu hồi văn bản)."""

    business_doc_type: ClassVar[BusinessDocType] = BusinessDocType.REVOKE
    type: Literal["document.revoke"]


class DocumentUpdateSubmission(_DocumentSubmission):
    """``document.update``: change a sent document's details or recipients (cập nhật)."""

    business_doc_type: ClassVar[BusinessDocType] = BusinessDocType.UPDATE
    type: Literal["document.update"]


class DocumentReplaceSubmission(_DocumentSubmission):
    """``document.replace``: a document that replaces earlier ones (văn bản thay thế)."""

    business_doc_type: ClassVar[BusinessDocType] = BusinessDocType.REPLACE
    type: Literal["document.replace"]


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


class DeathRegistrationSubmission(Submission):
    """``civil_status.death``: a death registration (đăng ký khai tử)."""

    type: Literal["civil_status.death"]
    body: DeathRegistration


class MarriageRegistrationSubmission(Submission):
    """``civil_status.marriage``: a marriage registration (đăng ký kết hôn)."""

    type: Literal["civil_status.marriage"]
    body: MarriageRegistration


class CivilStatusLookupSubmission(Submission):
    """``civil_status.lookup``: a civil-status record lookup (request-reply)."""

    request_reply: ClassVar[bool] = True
    type: Literal["civil_status.lookup"]
    body: CivilStatusLookup


class CatalogLookupSubmission(Submission):
    """``national.catalog_lookup``: a shared catalogue lookup (request-reply)."""

    request_reply: ClassVar[bool] = True
    type: Literal["national.catalog_lookup"]
    body: CatalogLookup


class DossierSyncSubmission(Submission):
    """``national.dossier_sync``: a dossier's state for the National Public Service Portal,
    addressed to the portal's agency code."""

    type: Literal["national.dossier_sync"]
    body: DossierSync


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
