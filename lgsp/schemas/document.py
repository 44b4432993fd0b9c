"""Bodies of the document axis (liên thông văn bản): ``document.send`` and ``document.status``.

These are the JSON spelling of the edXML ``MessageHeader`` (QCVN 102:2016/BTTTT): one field per
element the standard names, in snake_case, dates as ISO ``YYYY-MM-DD``. The edXML codec
(``lgsp.schemas.edxml``) maps both spellings onto these models, so a field added here must be one
the standard names. ``Business`` is ``TraceHeaderList/Bussiness`` (sic), which says whether a
document is new or revokes, updates or replaces an earlier one; ``DocumentId`` is the standard's
``OrganId,yyyy/MM/dd,Number/Notation``, checked when a value claims that form.

Not for: the edXML codec itself (XML, signatures, trace headers), the sender and recipient organ
details (``From``/``To`` come from the registry and the envelope), or any I/O.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import IntEnum, StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints, field_validator
from pydantic_core import PydanticCustomError

from lgsp.schemas._base import AgencyCode, LGSPModel, parse_agency_code

__all__ = [
    "Attachment",
    "Business",
    "BusinessDocType",
    "DocumentCode",
    "DocumentId",
    "DocumentSend",
    "DocumentStatus",
    "DocumentType",
    "OtherInfo",
    "Priority",
    "Promulgation",
    "Receiver",
    "ReceiverType",
    "Replacement",
    "ResponseFor",
    "Signer",
    "StaffInfo",
    "StatusCode",
    "check_unique_content_ids",
    "parse_edxml_date",
]


# Texts that are not blank once stripped (LGSPModel strips whitespace before the length check).
_Text30 = Annotated[str, StringConstraints(min_length=1, max_length=30)]
_Text50 = Annotated[str, StringConstraints(min_length=1, max_length=50)]
_Text100 = Annotated[str, StringConstraints(min_length=1, max_length=100)]
_Text200 = Annotated[str, StringConstraints(min_length=1, max_length=200)]
_Text255 = Annotated[str, StringConstraints(min_length=1, max_length=255)]
_Text500 = Annotated[str, StringConstraints(min_length=1, max_length=500)]


# Without padding checks a truncated upload would only fail at the recipient, hours later; a regex
# (not a decode) keeps validation from copying attachments that can weigh tens of megabytes.
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")


def _check_base64(value: str) -> str:
    # Stripped here rather than by the model config, which would copy every value it looks at.
    if value[:1].isspace() or value[-1:].isspace():
        value = value.strip()
    if not value or len(value) % 4 or not _BASE64.fullmatch(value):
        raise PydanticCustomError(
            "base64",
            "expected standard base64 (A-Z, a-z, 0-9, '+', '/', padded with '=' to a multiple of "
            "4 characters, no line breaks or spaces); the {length} characters given are not",
            {"length": len(value)},
        )
    return value


Base64Text = Annotated[
    str, StringConstraints(strip_whitespace=False, min_length=1), AfterValidator(_check_base64)
]
"""Base64 content kept as text: checked, never decoded nor copied, at validation."""


class Priority(IntEnum):
    """Urgency of a document (độ khẩn), edXML ``OtherInfo/Priority``."""

    NORMAL = 0
    URGENT = 1
    """khẩn"""
    VERY_URGENT = 2
    """thượng khẩn"""
    FLASH = 3
    """hỏa tốc"""
    FLASH_TIMED = 4
    """hỏa tốc hẹn giờ: flash, to be handled at a set time."""


class StatusCode(StrEnum):
    """A recipient's processing status of a document (trạng thái xử lý), edXML ``StatusCode``.

    QCVN 102:2016 reserves 07–12 and 14 without a meaning the sources agree on; they are accepted
    and passed on as data.
    """

    ARRIVED = "01"
    """đã đến: the recipient's software has it, no clerk has handled it yet."""
    REFUSED = "02"
    """từ chối tiếp nhận"""
    ACCEPTED = "03"
    """đã tiếp nhận: registered in the incoming-documents book."""
    ASSIGNED = "04"
    """phân công xử lý"""
    IN_PROGRESS = "05"
    """đang xử lý"""
    DONE = "06"
    """hoàn thành"""
    CODE_07 = "07"
    CODE_08 = "08"
    CODE_09 = "09"
    CODE_10 = "10"
    CODE_11 = "11"
    CODE_12 = "12"
    REVOKED = "13"
    """thu hồi / lấy lại: the sender asks for the document back."""
    CODE_14 = "14"
    CHANGE_AGREED = "15"
    """đồng ý cập nhật, lấy lại: the recipient agrees to a revoke or update."""
    CHANGE_REFUSED = "16"
    """từ chối cập nhật, lấy lại: the recipient refuses a revoke or update."""


class DocumentCode(LGSPModel):
    """Number and notation (số, ký hiệu), edXML ``Code``: ``7816`` / ``VPCP-TTĐT``."""

    number: _Text50 = Field(description="CodeNumber")
    notation: _Text100 = Field(description="CodeNotation")


class Promulgation(LGSPModel):
    """Where and when the document was issued (ban hành), edXML ``PromulgationInfo``."""

    place: _Text200 = Field(description="Place")
    date: dt.date = Field(description="PromulgationDate")


class DocumentType(LGSPModel):
    """Kind of document (loại văn bản), edXML ``DocumentType``.

    The numeric codes mean different things in different sources, so they are carried as data.
    """

    type: int = Field(ge=0, description="Type")
    detail: int | None = Field(default=None, ge=0, description="TypeDetail")
    name: _Text200 | None = Field(default=None, description="TypeName, e.g. 'Công văn'")


class Signer(LGSPModel):
    """Who signed (người ký), edXML ``SignerInfo``."""

    competence: _Text200 | None = Field(
        default=None, description="Competence, e.g. 'TL. BỘ TRƯỞNG'"
    )
    position: _Text200 | None = Field(default=None, description="Position")
    full_name: _Text200 | None = Field(default=None, description="FullName")


class OtherInfo(LGSPModel):
    """The rest of edXML ``OtherInfo``; its ``Priority`` is ``DocumentSend.priority``."""

    sphere_of_promulgation: _Text500 | None = Field(
        default=None, description="SphereOfPromulgation (phạm vi ban hành)"
    )
    typer_notation: _Text100 | None = Field(
        default=None, description="TyperNotation (ký hiệu người đánh máy)"
    )
    promulgation_amount: int | None = Field(
        default=None, ge=0, description="PromulgationAmount (số bản phát hành)"
    )
    page_amount: int | None = Field(default=None, ge=0, description="PageAmount (số trang)")
    # Every real package writes xs:boolean ("false"); absent means the sender did not say.
    direction: bool | None = Field(
        default=None, description="Direction: whether this is a steering document (chỉ đạo)"
    )
    appendixes: tuple[_Text500, ...] = Field(default=(), description="Appendixes/Appendix")


class Attachment(LGSPModel):
    """A file sent with the document, edXML ``AttachmentEncoded/Attachment``.

    ``data`` stays the base64 text the sender wrote (``ContentTransferEncoded``): it is checked to
    be strict standard base64 but not decoded, so validating a large document makes no second copy
    and the edXML codec can write it back unchanged. Decode it where the bytes are needed.
    """

    content_id: _Text255 = Field(description="ContentId, e.g. 'cid:209'")
    name: _Text255 = Field(description="AttachmentName")
    content_type: Annotated[
        str,
        StringConstraints(max_length=255, pattern=r"^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+"),
    ] = Field(description="ContentType, e.g. 'application/pdf'")
    description: _Text500 | None = Field(default=None, description="Description")
    # Kept out of repr so that logging a model never dumps megabytes of base64.
    data: Base64Text = Field(repr=False, description="ContentTransferEncoded (base64)")


def parse_edxml_date(text: str) -> dt.date:
    """The date edXML writes ``yyyy/MM/dd``; ``ValueError`` when it is not that or not a date."""
    match = _SLASH_DATE.fullmatch(text)
    if match is None:
        raise ValueError(f"expected a date written yyyy/MM/dd, got {text!r}")
    year, month, day = (int(part) for part in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"{text!r} is not a date") from None


# Java senders format with SimpleDateFormat, which reads and may write one-digit months and days.
_SLASH_DATE = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})")


def _check_document_id(value: str) -> str:
    # Real packages carry UUIDs and other local ids here, so only a value that claims the
    # standard's form (it has a comma) is held to it: a router correlates by these parts.
    if "," not in value:
        return value
    organ_id, _, rest = value.partition(",")
    date, _, number = rest.partition(",")
    try:
        try:
            parse_agency_code(organ_id)
        except PydanticCustomError:
            raise ValueError(f"{organ_id!r} is not an agency code") from None
        parse_edxml_date(date)
        if not number.strip():
            raise ValueError("the Number/Notation part is empty")
    except ValueError as exc:
        raise PydanticCustomError(
            "document_id",
            "expected a DocumentId OrganId,yyyy/MM/dd,Number/Notation "
            "(e.g. 000.00.00.G22,2015/09/30,7816/VPCP-TTĐT) or an id without commas; "
            "'{value}' is neither: {reason}",
            {"value": value, "reason": str(exc)},
        ) from None
    return value


DocumentId = Annotated[_Text100, AfterValidator(_check_document_id)]
"""edXML ``DocumentId``: ``OrganId,yyyy/MM/dd,Number/Notation``, or an id without commas (UUID)."""


class ResponseFor(LGSPModel):
    """The document a status (or a revoke) answers, edXML ``ResponseFor``."""

    organ_id: AgencyCode = Field(description="OrganId: the agency that issued the document")
    code: _Text100 = Field(description="Code, number/notation as one text: '7816/VPCP-TTĐT'")
    promulgation_date: dt.date = Field(description="PromulgationDate")
    document_id: DocumentId = Field(description="DocumentId")


class StaffInfo(LGSPModel):
    """The person who handled the document (cán bộ xử lý), edXML ``StaffInfo``."""

    department: _Text200 | None = Field(default=None, description="Department")
    staff: _Text200 | None = Field(default=None, description="Staff (full name)")
    email: _Text255 | None = Field(default=None, description="Email")
    mobile: _Text30 | None = Field(default=None, description="Mobile")


class BusinessDocType(IntEnum):
    """What a document does to earlier ones, edXML ``Bussiness/BussinessDocType``."""

    NEW = 0
    """văn bản mới"""
    REVOKE = 1
    """thu hồi: take back a document already sent."""
    UPDATE = 2
    """cập nhật: change a sent document's details or its recipients."""
    REPLACE = 3
    """thay thế: a new document that replaces earlier ones."""


class ReceiverType(IntEnum):
    """How an update changes a recipient, edXML ``Receiver/ReceiverType``."""

    REMOVED = 0
    ADDED = 1


class Replacement(LGSPModel):
    """A document being replaced and at which agencies, edXML ``ReplacementInfo``."""

    document_id: DocumentId = Field(description="DocumentId of the replaced document")
    organ_ids: tuple[AgencyCode, ...] = Field(default=(), description="OrganIdList/OrganId")


class Receiver(LGSPModel):
    """A recipient an update adds or removes, edXML ``ReceiverList/Receiver``."""

    organ_id: AgencyCode = Field(description="OrganId")
    receiver_type: ReceiverType = Field(description="ReceiverType: 0 removed, 1 added")


class Business(LGSPModel):
    """What the document is for (nghiệp vụ), edXML ``TraceHeaderList/Bussiness`` (sic)."""

    doc_type: BusinessDocType = Field(description="BussinessDocType")
    document_id: DocumentId | None = Field(
        default=None, description="DocumentId of the document revoked, updated or replaced"
    )
    reason: _Text500 | None = Field(default=None, description="BussinessDocReason")
    paper: int | None = Field(
        default=None, ge=0, description="Paper: 1 when a paper copy is also sent, else 0"
    )
    staff: StaffInfo | None = Field(default=None, description="StaffInfo: who sends it")
    # The SDK's update sample writes 1 in both; the sources do not define the codes: data.
    document_info: int | None = Field(
        default=None, ge=0, description="BussinessDocumentInfo/DocumentInfo"
    )
    document_receiver: int | None = Field(
        default=None, ge=0, description="BussinessDocumentInfo/DocumentReceiver"
    )
    receivers: tuple[Receiver, ...] = Field(
        default=(), description="BussinessDocumentInfo/ReceiverList/Receiver (update)"
    )
    replacements: tuple[Replacement, ...] = Field(
        default=(), description="ReplacementInfoList/ReplacementInfo (replace)"
    )


def check_unique_content_ids(attachments: tuple[Attachment, ...]) -> tuple[Attachment, ...]:
    """``attachments`` if no two share a content id, else a ``duplicate_content_id`` error."""
    # The edXML manifest refers to attachments by content id, so two alike make one unreachable.
    seen: dict[str, int] = {}
    for index, attachment in enumerate(attachments):
        first = seen.setdefault(attachment.content_id, index)
        if first != index:
            raise PydanticCustomError(
                "duplicate_content_id",
                "attachments[{index}].content_id '{content_id}' is already used by "
                "attachments[{first}]; content ids must be unique within a document",
                {"index": index, "first": first, "content_id": attachment.content_id},
            )
    return attachments


def _is_none(value: object) -> bool:
    return value is None


class DocumentSend(LGSPModel):
    """Body of ``document.send`` (and of revoke, update and replace): an electronic document
    (văn bản điện tử) for other agencies."""

    code: DocumentCode
    promulgation: Promulgation
    document_type: DocumentType | None = None
    subject: _Text500 = Field(description="Subject (trích yếu)")
    content: _Text500 | None = Field(default=None, description="Content")
    signer: Signer | None = None
    due_date: dt.date | None = Field(default=None, description="DueDate (hạn xử lý)")
    priority: Priority = Field(default=Priority.NORMAL, description="OtherInfo/Priority")
    steering_type: int | None = Field(
        default=None, ge=0, description="SteeringType; code meanings conflict in sources: data"
    )
    to_places: tuple[_Text500, ...] = Field(default=(), description="ToPlaces/Place (nơi nhận)")
    other: OtherInfo | None = None
    attachments: tuple[Attachment, ...] = ()
    # Added later: left out of the JSON when unset, so what plain senders get back is unchanged.
    document_id: DocumentId | None = Field(
        default=None, exclude_if=_is_none, description="DocumentId; built from code if absent"
    )
    response_for: ResponseFor | None = Field(
        default=None, exclude_if=_is_none, description="ResponseFor: the document answered"
    )
    business: Business | None = Field(
        default=None, exclude_if=_is_none, description="TraceHeaderList/Bussiness"
    )

    @field_validator("attachments")
    @classmethod
    def _content_ids_unique(cls, attachments: tuple[Attachment, ...]) -> tuple[Attachment, ...]:
        return check_unique_content_ids(attachments)


class DocumentStatus(LGSPModel):
    """Body of ``document.status``: how far a recipient has got with a document it received."""

    response_for: ResponseFor
    status_code: StatusCode = Field(description="StatusCode, '01'..'16'")
    description: _Text500 | None = Field(default=None, description="Description")
    # edXML writes local time without an offset; an offset, when given, is kept.
    timestamp: dt.datetime = Field(description="Timestamp")
    staff: StaffInfo | None = None
