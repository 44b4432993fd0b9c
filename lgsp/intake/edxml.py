"""Admission of edXML packages (``POST /v1/documents``): parse, check, route.

A package is read with the hardened codec; a malformed one is 400, one that breaks the standard or
cannot be routed is 422 with ``errors`` pointing at the element (``["MessageHeader", "To", 0,
"OrganId"]``). The caller may only send as its own agency (``From/OrganId``). The XML signature
is checked and recorded (signed, unsigned, invalid); an invalid one is refused or flagged, as
``LGSP_INVALID_SIGNATURE`` says. A document goes to its ``To`` agencies, a status package to the
agency of its ``ResponseFor``.

The gateway's ``POST /v1/documents`` and the national axis's inbox both admit packages here.
Not for: reading the body off a socket (the gateway streams large ones to the blob store first).
"""

from __future__ import annotations

from typing import BinaryIO, Literal

from lgsp.documents.signature import SignatureCheck, SignatureState, check_signature
from lgsp.documents.status import BusinessStatus, document_id_of
from lgsp.errors import MalformedRequest, NotPermitted, ValidationFailed
from lgsp.intake.admission import Admitted, check_right
from lgsp.journal import System
from lgsp.schemas.edxml import (
    EdxmlDocument,
    EdxmlInvalid,
    EdxmlStatus,
    document_to_json,
    message_type_of,
    parse,
    status_to_json,
)

__all__ = ["admit_edxml"]

_SCAN = 1 << 20


def _check_signature(raw: bytes | BinaryIO) -> SignatureCheck:
    if isinstance(raw, bytes):
        return check_signature(raw)
    # A stored package: read whole only when a signature may be there to verify.
    raw.seek(0)
    tail = b""
    while chunk := raw.read(_SCAN):
        if b"Signature" in tail + chunk:
            raw.seek(0)
            return check_signature(raw.read())
        tail = chunk[-16:]
    return SignatureCheck(SignatureState.UNSIGNED)


def admit_edxml(
    system: System,
    raw: bytes | BinaryIO,
    *,
    invalid_signature: Literal["flag", "refuse"] = "flag",
    max_bytes: int,
    any_sender: bool = False,
    stored_as: str | None = None,
) -> Admitted:
    """The package in ``raw`` as an ``Admitted`` message, or a precise 400/403/422.

    ``any_sender`` is for the national axis bridge, whose packages come from agencies all over
    the country; a provincial system may only send as its own agency. ``raw`` is a binary file
    (with ``stored_as`` its blob reference) when the package was streamed to the blob store.
    """
    payload = raw if isinstance(raw, bytes) else b""
    try:
        package = parse(raw, max_bytes=max_bytes)
    except EdxmlInvalid as exc:
        count = f"{len(exc.errors)} error(s)"
        if exc.malformed:
            raise MalformedRequest(
                f"the body is not a readable edXML package ({count})", exc.errors
            ) from exc
        raise ValidationFailed(
            f"the package breaks QCVN 102:2016 or cannot be routed ({count})", exc.errors
        ) from exc
    message_type = message_type_of(package)
    check_right(system, message_type)
    origin = package.from_.organ_id
    if not any_sender and origin != system.agency:
        raise NotPermitted(
            f"MessageHeader/From/OrganId is {origin}, but this system sends for {system.agency}"
        )
    sender = origin if any_sender else None
    checked = _check_signature(raw)
    if checked.state is SignatureState.INVALID and invalid_signature == "refuse":
        raise ValidationFailed(
            "the package's XML signature does not verify",
            [
                {
                    "loc": ["Signature"],
                    "msg": checked.reason or "invalid signature",
                    "type": "signature_invalid",
                }
            ],
        )
    if isinstance(package, EdxmlStatus):
        return Admitted(
            type=message_type,
            recipients=(package.response_for.organ_id,),
            payload=payload,
            payload_ref=stored_as,
            content_type="application/xml",
            sender=sender,
            signature=checked.state.value,
            status=BusinessStatus.from_json(status_to_json(package), reporter=origin),
        )
    assert isinstance(package, EdxmlDocument)
    body = document_to_json(package)
    document_id = document_id_of(body, sender=origin)
    return Admitted(
        type=message_type,
        recipients=tuple(dict.fromkeys(to.organ_id for to in package.to)),
        payload=payload,
        payload_ref=stored_as,
        content_type="application/xml",
        priority=int(body.priority),
        sender=sender,
        document_id=document_id,
        signature=checked.state.value,
        revokes=document_id if message_type == "document.revoke" else None,
    )
