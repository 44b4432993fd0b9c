"""The edXML packages as models: ``EdxmlDocument`` (a document) and ``EdxmlStatus`` (a status).

They reuse the JSON spelling's models (``lgsp.schemas.document``) wherever the standard's element
is the same, and add what only a package carries: the organs (``From``/``To``), trace headers,
the signature, and ``Priority`` inside ``OtherInfo`` where edXML keeps it. An empty element means
absent, so a sub-model with nothing set is taken as absent too: that is what the package would
say. Timestamps are Vietnam local time (UTC+7), whole seconds, as edXML writes them.

Not for: reading or writing XML (``_parse``, ``_write``) or mapping to JSON (``_convert``).
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated, TypeVar

from pydantic import (
    AfterValidator,
    AliasChoices,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)
from pydantic_core import PydanticCustomError

from lgsp.schemas._base import AgencyCode, LGSPModel
from lgsp.schemas.document import (
    Attachment,
    Business,
    DocumentCode,
    DocumentId,
    DocumentType,
    OtherInfo,
    Priority,
    Promulgation,
    ResponseFor,
    Signer,
    StaffInfo,
    StatusCode,
    check_unique_content_ids,
)
from lgsp.schemas.edxml._xml import normalize_signature

__all__ = [
    "VIETNAM",
    "EdxmlDocument",
    "EdxmlOtherInfo",
    "EdxmlStatus",
    "Organization",
    "SignatureXml",
    "StatusLayout",
    "TraceHeader",
    "VietnamTime",
    "iter_attachment_bytes",
]

VIETNAM = dt.timezone(dt.timedelta(hours=7))
"""Vietnam time (UTC+7, no daylight saving): what edXML's offset-less timestamps mean."""

_Text100 = Annotated[str, StringConstraints(min_length=1, max_length=100)]
_Text255 = Annotated[str, StringConstraints(min_length=1, max_length=255)]
_Text500 = Annotated[str, StringConstraints(min_length=1, max_length=500)]


def _vietnam_time(value: dt.datetime) -> dt.datetime:
    # Naive means what edXML means by it; sub-second precision has no spelling in a package.
    local = value.replace(tzinfo=VIETNAM) if value.tzinfo is None else value.astimezone(VIETNAM)
    return local.replace(microsecond=0)


VietnamTime = Annotated[dt.datetime, AfterValidator(_vietnam_time)]
"""A timestamp as edXML has it: aware, in UTC+7, whole seconds (naive input is taken as local)."""


def _signature(value: str) -> str:
    try:
        return normalize_signature(value)
    except ValueError as exc:
        raise PydanticCustomError(
            "signature_xml",
            "expected the XML text of a Signature element: {reason}",
            {"reason": str(exc)},
        ) from None


SignatureXml = Annotated[str, AfterValidator(_signature)]
"""An enveloped XML-DSig ``Signature`` kept as XML text, so that a package keeps it unread."""

_M = TypeVar("_M", bound=LGSPModel)


def _absent_if_empty(value: _M | None) -> _M | None:
    if value is None:
        return None
    empty = all(getattr(value, name) in (None, ()) for name in type(value).model_fields)
    return None if empty else value


class Organization(LGSPModel):
    """An agency as ``From`` and ``To`` describe it (cơ quan gửi, nhận)."""

    organ_id: AgencyCode = Field(description="OrganId (mã định danh)")
    organization_in_charge: _Text500 | None = Field(
        default=None, description="OrganizationInCharge (cơ quan chủ quản)"
    )
    organ_name: _Text500 | None = Field(default=None, description="OrganName")
    organ_add: _Text500 | None = Field(default=None, description="OrganAdd (address)")
    email: _Text255 | None = Field(default=None, description="Email")
    telephone: _Text100 | None = Field(default=None, description="Telephone")
    fax: _Text100 | None = Field(default=None, description="Fax")
    website: _Text255 | None = Field(default=None, description="Website")


class EdxmlOtherInfo(OtherInfo):
    """edXML ``OtherInfo`` whole: the JSON spelling's ``other`` plus ``Priority``."""

    priority: Priority | None = Field(default=None, description="Priority (độ khẩn)")


class TraceHeader(LGSPModel):
    """One hop the package went through, edXML ``TraceHeaderList/TraceHeader``."""

    organ_id: AgencyCode = Field(description="OrganId")
    timestamp: VietnamTime = Field(description="Timestamp")


# ``from`` is a keyword: the field is ``from_``, spelled ``from`` in JSON (either is read).
_PACKAGE_CONFIG = ConfigDict(serialize_by_alias=True)
_FROM = AliasChoices("from", "from_")


class EdxmlDocument(LGSPModel):
    """A document package (gói tin văn bản): new, or revoking, updating or replacing one.

    ``from_`` is spelled ``from`` in JSON. ``to`` lists the recipients as the package names them.
    """

    model_config = _PACKAGE_CONFIG

    from_: Organization = Field(
        validation_alias=_FROM, serialization_alias="from", description="MessageHeader/From"
    )
    to: tuple[Organization, ...] = Field(min_length=1, description="MessageHeader/To")
    document_id: DocumentId | None = Field(default=None, description="DocumentId")
    code: DocumentCode = Field(description="Code")
    promulgation: Promulgation = Field(description="PromulgationInfo")
    document_type: DocumentType | None = Field(default=None, description="DocumentType")
    subject: _Text500 = Field(description="Subject (trích yếu)")
    content: _Text500 | None = Field(default=None, description="Content")
    signer: Annotated[Signer | None, AfterValidator(_absent_if_empty)] = Field(
        default=None, description="SignerInfo"
    )
    due_date: dt.date | None = Field(default=None, description="DueDate")
    other: Annotated[EdxmlOtherInfo | None, AfterValidator(_absent_if_empty)] = Field(
        default=None, description="OtherInfo, Priority included"
    )
    steering_type: int | None = Field(default=None, ge=0, description="SteeringType")
    to_places: tuple[_Text500, ...] = Field(default=(), description="ToPlaces/Place")
    response_for: ResponseFor | None = Field(default=None, description="ResponseFor")
    trace_headers: tuple[TraceHeader, ...] = Field(
        default=(), description="TraceHeaderList/TraceHeader"
    )
    business: Business | None = Field(default=None, description="TraceHeaderList/Bussiness")
    attachments: tuple[Attachment, ...] = Field(
        default=(), description="AttachmentEncoded/Attachment"
    )
    signature: SignatureXml | None = Field(default=None, repr=False, description="Signature")

    @field_validator("attachments")
    @classmethod
    def _content_ids_unique(cls, attachments: tuple[Attachment, ...]) -> tuple[Attachment, ...]:
        return check_unique_content_ids(attachments)

    @field_validator("business")
    @classmethod
    def _business_staff(cls, business: Business | None) -> Business | None:
        # Business lives in the JSON module, which keeps an empty staff object as given.
        if business is not None and business.staff and _absent_if_empty(business.staff) is None:
            return business.model_copy(update={"staff": None})
        return business


class StatusLayout(StrEnum):
    """Where a status package keeps its fields."""

    MESSAGE_HEADER = "MessageHeader"
    """Inside ``edXMLHeader/MessageHeader``, as the Government Office's SDK samples do."""
    STATUS = "Status"
    """In an ``edXMLHeader/Status`` element instead, as other vendors' software does."""


class EdxmlStatus(LGSPModel):
    """A status package (gói tin trạng thái): how far a recipient has got with a document."""

    model_config = _PACKAGE_CONFIG

    from_: Organization = Field(
        validation_alias=_FROM, serialization_alias="from", description="From: who reports"
    )
    response_for: ResponseFor = Field(description="ResponseFor: the document reported on")
    staff: Annotated[StaffInfo | None, AfterValidator(_absent_if_empty)] = Field(
        default=None, description="StaffInfo"
    )
    status_code: StatusCode = Field(description="StatusCode, '01'..'16'")
    description: _Text500 | None = Field(default=None, description="Description")
    timestamp: VietnamTime = Field(description="Timestamp")
    layout: StatusLayout = Field(
        default=StatusLayout.MESSAGE_HEADER, description="written back the way it came"
    )


def iter_attachment_bytes(attachment: Attachment, *, chunk_size: int = 1 << 16) -> Iterator[bytes]:
    """The decoded bytes of ``attachment`` in chunks of about ``chunk_size`` bytes.

    Each chunk decodes a slice of 4*N characters, so a consumer can stream a large attachment
    without a second full copy of it; a character outside strict base64 raises
    ``binascii.Error``.
    """
    text = attachment.data
    step = max(4, chunk_size // 3 * 4)
    for start in range(0, len(text), step):
        yield base64.b64decode(text[start : start + step], validate=True)
