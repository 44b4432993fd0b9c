"""The shared language of lgsp: message models for every axis, and one adapter to read them.

``SUBMISSION`` is the one module-level ``TypeAdapter`` over the discriminated union of everything a
caller may submit; read raw request bytes with ``SUBMISSION.validate_json(raw)``.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, TypeAdapter

from lgsp.schemas._base import AgencyCode, LGSPModel, parse_agency_code
from lgsp.schemas.civil_status import BirthRegistration, PersonalId
from lgsp.schemas.civil_status_death import DeathNotice, DeathRegistration, Deceased
from lgsp.schemas.civil_status_lookup import CivilStatusLookup, RecordKind
from lgsp.schemas.civil_status_marriage import (
    Husband,
    MaritalStatus,
    MarriageRegistration,
    Wife,
)
from lgsp.schemas.document import (
    Business,
    BusinessDocType,
    DocumentSend,
    DocumentStatus,
    StatusCode,
)
from lgsp.schemas.dossier import Channel, DossierStatus, DossierSync, ProcessingStep
from lgsp.schemas.envelope import (
    BirthRegistrationSubmission,
    CatalogLookupSubmission,
    CitizenLookupSubmission,
    CivilStatusLookupSubmission,
    DeathRegistrationSubmission,
    DocumentReplaceSubmission,
    DocumentRevokeSubmission,
    DocumentSendSubmission,
    DocumentStatusSubmission,
    DocumentUpdateSubmission,
    DossierSyncSubmission,
    Envelope,
    MarriageRegistrationSubmission,
    Submission,
)
from lgsp.schemas.national import CatalogLookup, CitizenLookup

__all__ = [
    "MESSAGE_TYPES",
    "SUBMISSION",
    "AgencyCode",
    "AnySubmission",
    "BirthRegistration",
    "Business",
    "BusinessDocType",
    "CatalogLookup",
    "Channel",
    "CitizenLookup",
    "CivilStatusLookup",
    "DeathNotice",
    "DeathRegistration",
    "Deceased",
    "DocumentSend",
    "DocumentStatus",
    "DossierStatus",
    "DossierSync",
    "Envelope",
    "Husband",
    "LGSPModel",
    "MaritalStatus",
    "MarriageRegistration",
    "PersonalId",
    "ProcessingStep",
    "RecordKind",
    "StatusCode",
    "Submission",
    "Wife",
    "axis_of",
    "parse_agency_code",
]

AnySubmission = Annotated[
    DocumentSendSubmission
    | DocumentRevokeSubmission
    | DocumentUpdateSubmission
    | DocumentReplaceSubmission
    | DocumentStatusSubmission
    | BirthRegistrationSubmission
    | DeathRegistrationSubmission
    | MarriageRegistrationSubmission
    | CivilStatusLookupSubmission
    | CitizenLookupSubmission
    | CatalogLookupSubmission
    | DossierSyncSubmission,
    Field(discriminator="type"),
]

SUBMISSION: TypeAdapter[AnySubmission] = TypeAdapter(AnySubmission)

MESSAGE_TYPES: dict[str, type[Submission]] = {
    cls.model_fields["type"].annotation.__args__[0]: cls  # type: ignore[union-attr]
    for cls in (
        DocumentSendSubmission,
        DocumentRevokeSubmission,
        DocumentUpdateSubmission,
        DocumentReplaceSubmission,
        DocumentStatusSubmission,
        BirthRegistrationSubmission,
        DeathRegistrationSubmission,
        MarriageRegistrationSubmission,
        CivilStatusLookupSubmission,
        CitizenLookupSubmission,
        CatalogLookupSubmission,
        DossierSyncSubmission,
    )
}
"""Every message type the platform knows, by its ``type`` string."""


def axis_of(message_type: str) -> str:
    """The axis a type belongs to: ``document.send`` → ``document``."""
    return message_type.split(".", 1)[0]
