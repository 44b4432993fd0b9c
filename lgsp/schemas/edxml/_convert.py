"""The JSON spelling and the edXML one of the same document or status, both ways; and the message
type a package is.

JSON bodies (``DocumentSend``, ``DocumentStatus``) carry no organs: ``From``/``To`` come from the
registry and the envelope, so ``*_from_json`` take them as arguments. edXML keeps ``Priority``
inside ``OtherInfo``; JSON has it at the top. What only a package carries (organ details, trace
headers, the signature) does not survive a trip through JSON; everything JSON carries survives a
trip through edXML, except an empty sub-object (``"signer": {}``), which edXML cannot tell from an
absent one, and sub-second timestamps, which edXML cannot write.

Not for: XML (``_parse``, ``_write``) or knowing agencies (the registry).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from lgsp.schemas.document import BusinessDocType, DocumentSend, DocumentStatus, OtherInfo, Priority
from lgsp.schemas.edxml._models import (
    EdxmlDocument,
    EdxmlOtherInfo,
    EdxmlStatus,
    Organization,
    TraceHeader,
)

__all__ = [
    "document_from_json",
    "document_to_json",
    "message_type_of",
    "status_from_json",
    "status_to_json",
]

_TYPES = {
    BusinessDocType.NEW: "document.send",
    BusinessDocType.REVOKE: "document.revoke",
    BusinessDocType.UPDATE: "document.update",
    BusinessDocType.REPLACE: "document.replace",
}
_OTHER_FIELDS = tuple(OtherInfo.model_fields)


def message_type_of(package: EdxmlDocument | EdxmlStatus) -> str:
    """``document.status``, or ``document.send``/``revoke``/``update``/``replace`` by its
    ``BussinessDocType`` (a document without ``Bussiness`` is new)."""
    if isinstance(package, EdxmlStatus):
        return "document.status"
    if package.business is None:
        return _TYPES[BusinessDocType.NEW]
    return _TYPES[package.business.doc_type]


def document_to_json(document: EdxmlDocument) -> DocumentSend:
    """The JSON body of a document package (its organs and trace stay with the package)."""
    other = document.other
    rest = {name: getattr(other, name) for name in _OTHER_FIELDS} if other else {}
    return DocumentSend(
        code=document.code,
        promulgation=document.promulgation,
        document_type=document.document_type,
        subject=document.subject,
        content=document.content,
        signer=document.signer,
        due_date=document.due_date,
        priority=(other.priority if other and other.priority is not None else Priority.NORMAL),
        steering_type=document.steering_type,
        to_places=document.to_places,
        other=OtherInfo(**rest) if any(v not in (None, ()) for v in rest.values()) else None,
        attachments=document.attachments,
        document_id=document.document_id,
        response_for=document.response_for,
        business=document.business,
    )


def document_from_json(
    body: DocumentSend,
    *,
    sender: Organization,
    recipients: Sequence[Organization],
    trace_headers: Iterable[TraceHeader] = (),
) -> EdxmlDocument:
    """The package for a JSON body, from ``sender`` to ``recipients`` (at least one)."""
    rest = {name: getattr(body.other, name) for name in _OTHER_FIELDS} if body.other else {}
    return EdxmlDocument(
        from_=sender,
        to=tuple(recipients),
        document_id=body.document_id,
        code=body.code,
        promulgation=body.promulgation,
        document_type=body.document_type,
        subject=body.subject,
        content=body.content,
        signer=body.signer,
        due_date=body.due_date,
        # Priority is always written: a recipient should not have to guess "normal".
        other=EdxmlOtherInfo(priority=body.priority, **rest),
        steering_type=body.steering_type,
        to_places=body.to_places,
        response_for=body.response_for,
        trace_headers=tuple(trace_headers),
        business=body.business,
        attachments=body.attachments,
    )


def status_to_json(status: EdxmlStatus) -> DocumentStatus:
    """The JSON body of a status package (timestamp aware, in Vietnam time)."""
    return DocumentStatus(
        response_for=status.response_for,
        status_code=status.status_code,
        description=status.description,
        timestamp=status.timestamp,
        staff=status.staff,
    )


def status_from_json(body: DocumentStatus, *, sender: Organization) -> EdxmlStatus:
    """The status package for a JSON body, reported by ``sender``, in the SDK's layout.

    A naive timestamp is taken as Vietnam local time, as edXML's are.
    """
    return EdxmlStatus(
        from_=sender,
        response_for=body.response_for,
        staff=body.staff,
        status_code=body.status_code,
        description=body.description,
        timestamp=body.timestamp,
    )
