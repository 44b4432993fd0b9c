"""Which element holds which model field: one table that reading, writing and error locations share.

Each ``Spec`` lists a model's fields in the order the standard writes their elements; a ``Node``
says where a field's element sits below its parent element (``("ToPlaces", "Place")``), what kind
of value it holds and whether it repeats. Because the reader, the writer and the translation of
pydantic's error locations into element paths all read these tables, they cannot disagree.

Not for: parsing values or walking trees (``_parse``, ``_write``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from lgsp.schemas.edxml._errors import Loc

__all__ = [
    "ATTACHMENT",
    "DOCUMENT",
    "STATUS",
    "Kind",
    "Node",
    "Spec",
    "element_loc",
]

Kind = Literal["text", "code", "int", "bool", "date", "timestamp", "base64", "signature"]
"""``code`` is an agency code: unlike other text, an empty one is an error, not an absence."""


@dataclass(frozen=True, slots=True)
class Node:
    field: str
    path: tuple[str, ...]
    kind: Kind | Spec
    many: bool = False
    # Where the path starts in a document package: under edXMLHeader, or under the root
    # (attachments sit outside the envelope).
    base: Literal["header", "root"] = "header"


@dataclass(frozen=True, slots=True)
class Spec:
    nodes: tuple[Node, ...]
    by_field: Mapping[str, Node] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_field", {node.field: node for node in self.nodes})


def _spec(*nodes: Node) -> Spec:
    return Spec(nodes)


ORGANIZATION = _spec(
    Node("organ_id", ("OrganId",), "code"),
    Node("organization_in_charge", ("OrganizationInCharge",), "text"),
    Node("organ_name", ("OrganName",), "text"),
    Node("organ_add", ("OrganAdd",), "text"),
    Node("email", ("Email",), "text"),
    Node("telephone", ("Telephone",), "text"),
    Node("fax", ("Fax",), "text"),
    Node("website", ("Website",), "text"),
)
_CODE = _spec(Node("number", ("CodeNumber",), "text"), Node("notation", ("CodeNotation",), "text"))
_PROMULGATION = _spec(
    Node("place", ("Place",), "text"), Node("date", ("PromulgationDate",), "date")
)
_DOCUMENT_TYPE = _spec(
    Node("type", ("Type",), "int"),
    Node("detail", ("TypeDetail",), "int"),
    Node("name", ("TypeName",), "text"),
)
_SIGNER = _spec(
    Node("competence", ("Competence",), "text"),
    Node("position", ("Position",), "text"),
    Node("full_name", ("FullName",), "text"),
)
_OTHER = _spec(
    Node("priority", ("Priority",), "int"),
    Node("sphere_of_promulgation", ("SphereOfPromulgation",), "text"),
    Node("typer_notation", ("TyperNotation",), "text"),
    Node("promulgation_amount", ("PromulgationAmount",), "int"),
    Node("page_amount", ("PageAmount",), "int"),
    Node("direction", ("Direction",), "bool"),
    Node("appendixes", ("Appendixes", "Appendix"), "text", many=True),
)
_RESPONSE_FOR = _spec(
    Node("organ_id", ("OrganId",), "code"),
    Node("code", ("Code",), "text"),
    Node("promulgation_date", ("PromulgationDate",), "date"),
    Node("document_id", ("DocumentId",), "text"),
)
_STAFF = _spec(
    Node("department", ("Department",), "text"),
    Node("staff", ("Staff",), "text"),
    Node("email", ("Email",), "text"),
    Node("mobile", ("Mobile",), "text"),
)
_TRACE_HEADER = _spec(
    Node("organ_id", ("OrganId",), "code"), Node("timestamp", ("Timestamp",), "timestamp")
)
_RECEIVER = _spec(
    Node("organ_id", ("OrganId",), "code"), Node("receiver_type", ("ReceiverType",), "int")
)
_REPLACEMENT = _spec(
    Node("document_id", ("DocumentId",), "text"),
    Node("organ_ids", ("OrganIdList", "OrganId"), "code", many=True),
)
_BUSINESS = _spec(
    Node("document_id", ("DocumentId",), "text"),
    Node("doc_type", ("BussinessDocType",), "int"),
    Node("reason", ("BussinessDocReason",), "text"),
    Node("paper", ("Paper",), "int"),
    Node("document_info", ("BussinessDocumentInfo", "DocumentInfo"), "int"),
    Node("document_receiver", ("BussinessDocumentInfo", "DocumentReceiver"), "int"),
    Node("receivers", ("BussinessDocumentInfo", "ReceiverList", "Receiver"), _RECEIVER, many=True),
    Node("replacements", ("ReplacementInfoList", "ReplacementInfo"), _REPLACEMENT, many=True),
    Node("staff", ("StaffInfo",), _STAFF),
)
ATTACHMENT = _spec(
    Node("content_id", ("ContentId",), "text"),
    Node("name", ("AttachmentName",), "text"),
    Node("description", ("Description",), "text"),
    Node("content_type", ("ContentType",), "text"),
    Node("data", ("ContentTransferEncoded",), "base64"),
)

_H = "MessageHeader"
DOCUMENT = _spec(
    Node("from_", (_H, "From"), ORGANIZATION),
    Node("to", (_H, "To"), ORGANIZATION, many=True),
    Node("document_id", (_H, "DocumentId"), "text"),
    Node("code", (_H, "Code"), _CODE),
    Node("promulgation", (_H, "PromulgationInfo"), _PROMULGATION),
    Node("document_type", (_H, "DocumentType"), _DOCUMENT_TYPE),
    Node("subject", (_H, "Subject"), "text"),
    Node("content", (_H, "Content"), "text"),
    Node("signer", (_H, "SignerInfo"), _SIGNER),
    Node("due_date", (_H, "DueDate"), "date"),
    Node("other", (_H, "OtherInfo"), _OTHER),
    Node("response_for", (_H, "ResponseFor"), _RESPONSE_FOR),
    Node("steering_type", (_H, "SteeringType"), "int"),
    Node("to_places", (_H, "ToPlaces", "Place"), "text", many=True),
    Node("trace_headers", ("TraceHeaderList", "TraceHeader"), _TRACE_HEADER, many=True),
    Node("business", ("TraceHeaderList", "Bussiness"), _BUSINESS),
    Node("signature", ("Signature",), "signature"),
    Node("attachments", ("AttachmentEncoded", "Attachment"), ATTACHMENT, many=True, base="root"),
)
"""A document package; paths below ``edXMLHeader`` (attachments: below the root)."""

STATUS = _spec(
    Node("from_", ("From",), ORGANIZATION),
    Node("response_for", ("ResponseFor",), _RESPONSE_FOR),
    Node("staff", ("StaffInfo",), _STAFF),
    Node("status_code", ("StatusCode",), "text"),
    Node("description", ("Description",), "text"),
    Node("timestamp", ("Timestamp",), "timestamp"),
)
"""A status package; paths below ``MessageHeader`` or ``Status``, as the layout has it."""

_ALIASES = {"from": "from_"}

Remaps = Mapping[tuple[str | int, ...], list[int]]
"""For a repeated element some of which were empty (and skipped): model index → element index."""


def element_loc(
    spec: Spec,
    loc: tuple[str | int, ...],
    *,
    prefix: Sequence[str | int] = (),
    remaps: Remaps | None = None,
) -> Loc:
    """The element path of a pydantic error ``loc`` over a model read with ``spec``.

    ``("to", 0, "organ_id")`` → ``["MessageHeader", "To", 0, "OrganId"]``. Parts the tables do not
    know (a model-level error) are kept as they are.
    """
    out: Loc = list(prefix)
    current: Spec | None = spec
    walked: tuple[str | int, ...] = ()
    for part in loc:
        if isinstance(part, int):
            indexes = (remaps or {}).get(walked)
            out.append(indexes[part] if indexes and part < len(indexes) else part)
        else:
            part = _ALIASES.get(part, part)
            node = current.by_field.get(part) if current else None
            if node is None:
                out.append(part)
                current = None
            else:
                out.extend(node.path)
                current = node.kind if isinstance(node.kind, Spec) else None
        walked += (part,)
    return out
