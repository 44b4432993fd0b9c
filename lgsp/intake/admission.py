"""Admission of JSON submissions: everything decided about a message before it is accepted.

``admit_json`` reads a JSON submission (``POST /v1/messages``); ``lgsp.intake.edxml`` reads an
edXML package (``POST /v1/documents``, the national axis's inbox). Both end in an ``Admitted``: the
type, the recipients, the exact bytes to carry, and what the document axis needs to know
(DocumentId, signature, the business status a status message reports). The caller's rights come
first: a system learns nothing of a type's schema until it may send that type.

Not for: the journal or the broker (``lgsp.intake.acceptance``), nor HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, ValidationError

from lgsp.documents.status import BusinessStatus, document_id_of
from lgsp.errors import MalformedRequest, NotPermitted, ValidationFailed
from lgsp.intake.fields import field_errors
from lgsp.journal import System
from lgsp.schemas import (
    MESSAGE_TYPES,
    SUBMISSION,
    DocumentSend,
    DocumentStatus,
    DossierSync,
    Submission,
)

__all__ = ["Admitted", "admit_json", "check_right", "dossier_order_key", "type_of"]


@dataclass(frozen=True, slots=True)
class Admitted:
    """A message that passed every check, ready to be accepted."""

    type: str
    recipients: tuple[str, ...]
    payload: bytes
    content_type: str = "application/json"
    correlation_id: str | None = None
    priority: int = 0
    deadline: datetime | None = None
    sender: str | None = None
    """The sending agency when it is not the calling system's (the national axis bridge)."""
    document_id: str | None = None
    signature: str | None = None
    status: BusinessStatus | None = None
    """For ``document.status``: what it reports about which document."""
    revokes: str | None = None
    """For ``document.revoke``: the DocumentId of the document revoked."""
    payload_ref: str | None = None
    """Set when the payload was streamed straight to the blob store (``payload`` is then empty)."""
    order_key: str | None = None
    """Messages with the same key are delivered in the order they were accepted: a dossier's
    statuses (``dossier:<MaHoSo>``) must reach the public service portal in order."""


class _TypeOnly(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: str


def check_right(system: System, message_type: str) -> None:
    if message_type not in system.may_send:
        raise NotPermitted(f"system {system.id!r} may not send {message_type!r}")


def admit_json(system: System, raw: bytes) -> Admitted:
    """The JSON submission in ``raw``; 400/403/422 errors name what is wrong."""
    try:
        submission: Submission = SUBMISSION.validate_json(raw)
    except ValidationError as exc:
        errors = field_errors(exc)
        if any(e["type"] == "json_invalid" for e in errors):
            raise MalformedRequest(
                f"the body is not valid JSON: {errors[0]['msg']}", errors
            ) from exc
        _check_right_from_raw(system, raw)
        raise ValidationFailed(
            f"the message does not match its schema ({len(errors)} error(s))", errors
        ) from exc
    check_right(system, submission.type)
    if submission.request_reply:
        raise ValidationFailed(
            f"{submission.type} is answered synchronously: POST it to /v1/requests",
            [{"loc": ["type"], "msg": "a request-reply type", "type": "request_reply_type"}],
        )
    body = submission.body
    document_id = status = revokes = order_key = None
    if isinstance(body, DocumentSend):
        document_id = document_id_of(body, sender=system.agency)
        if submission.type == "document.revoke":
            revokes = document_id
    elif isinstance(body, DocumentStatus):
        status = BusinessStatus.from_json(body, reporter=system.agency)
    elif isinstance(body, DossierSync):
        order_key = dossier_order_key(body.dossier_code)
    return Admitted(
        type=submission.type,
        recipients=tuple(submission.recipients),
        payload=raw,
        correlation_id=submission.correlation_id,
        priority=submission.priority,
        deadline=submission.deadline,
        document_id=document_id,
        status=status,
        revokes=revokes,
        order_key=order_key,
    )


def dossier_order_key(dossier_code: str) -> str:
    """The order key of a dossier's statuses: the portal keeps one history per ``MaHoSo``."""
    return f"dossier:{dossier_code}"


def type_of(raw: bytes) -> str | None:
    """The ``type`` a body names, when it is JSON with a ``type``; read when the whole body does
    not validate, to answer rights before schema."""
    try:
        return _TypeOnly.model_validate_json(raw).type
    except ValidationError:
        return None


def _check_right_from_raw(system: System, raw: bytes) -> None:
    # A caller learns nothing about a type's schema until it may send that type.
    message_type = type_of(raw)
    if message_type in MESSAGE_TYPES:
        check_right(system, message_type)
