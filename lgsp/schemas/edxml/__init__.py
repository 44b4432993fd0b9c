"""The edXML codec (QCVN 102:2016/BTTTT, amended 2022): packages of the document axis.

``parse(bytes)`` reads a package into an ``EdxmlDocument`` or an ``EdxmlStatus``, hardened against
hostile XML, or raises ``EdxmlInvalid`` with every error located by element path; ``write``
spells a model back. ``document_to_json``/``document_from_json`` and ``status_to_json``/
``status_from_json`` map to and from the JSON bodies (``lgsp.schemas.document``), and
``message_type_of`` says which ``document.*`` message a package is.

    parse(data, *, max_bytes=DEFAULT_MAX_BYTES, max_depth=DEFAULT_MAX_DEPTH)
        -> EdxmlDocument | EdxmlStatus
    write(package) -> bytes
    iter_attachment_bytes(attachment, *, chunk_size=65536) -> Iterator[bytes]

Not for: transport to the national axis, signature checking, or agency lookups; pure functions
over bytes and models only.
"""

from __future__ import annotations

from lgsp.schemas.edxml._convert import (
    document_from_json,
    document_to_json,
    message_type_of,
    status_from_json,
    status_to_json,
)
from lgsp.schemas.edxml._errors import EdxmlInvalid, ErrorDetails, Loc
from lgsp.schemas.edxml._models import (
    VIETNAM,
    EdxmlDocument,
    EdxmlOtherInfo,
    EdxmlStatus,
    Organization,
    SignatureXml,
    StatusLayout,
    TraceHeader,
    VietnamTime,
    iter_attachment_bytes,
)
from lgsp.schemas.edxml._parse import parse, parse_timestamp
from lgsp.schemas.edxml._write import write
from lgsp.schemas.edxml._xml import DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, NS

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_DEPTH",
    "NS",
    "VIETNAM",
    "EdxmlDocument",
    "EdxmlInvalid",
    "EdxmlOtherInfo",
    "EdxmlStatus",
    "ErrorDetails",
    "Loc",
    "Organization",
    "SignatureXml",
    "StatusLayout",
    "TraceHeader",
    "VietnamTime",
    "document_from_json",
    "document_to_json",
    "iter_attachment_bytes",
    "message_type_of",
    "parse",
    "parse_timestamp",
    "status_from_json",
    "status_to_json",
    "write",
]
