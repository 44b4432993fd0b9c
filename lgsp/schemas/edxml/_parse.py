"""Reading a package: ``parse(bytes)`` → ``EdxmlDocument`` or ``EdxmlStatus``, or every reason not.

The tree (hardened, see ``_xml``) is read into plain dicts by the element tables of ``_spec``, with
``yyyy/MM/dd`` dates and timestamps converted on the way; the models then validate them, and
pydantic's errors are translated back into element paths. Every problem of a package is reported,
not only the first. An empty element is an absent value, except an agency code, which is refused
where it stands: a router cannot route an empty code, and must say which one it is.

Not for: writing packages (``_write``) or JSON (``_convert``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any, BinaryIO, Final

from lxml import etree
from pydantic import ValidationError

from lgsp.schemas.document import parse_edxml_date
from lgsp.schemas.edxml._errors import EdxmlInvalid, ErrorDetails, Loc
from lgsp.schemas.edxml._models import VIETNAM, EdxmlDocument, EdxmlStatus, StatusLayout
from lgsp.schemas.edxml._spec import DOCUMENT, STATUS, Kind, Spec, element_loc
from lgsp.schemas.edxml._xml import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_DEPTH,
    NS,
    children,
    read_tree,
    signature_text,
    signatures,
    text_of,
)

__all__ = ["parse", "parse_timestamp"]

_TIMESTAMP = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2}) +(\d{1,2}):(\d{2}):(\d{2})")
_SPACE = re.compile(r"\s")


class _Skip:
    """A value not passed to the model: absent (empty element) or already reported."""


_SKIP: Final = _Skip()


def parse_timestamp(text: str) -> dt.datetime:
    """``yyyy/MM/dd HH:mm:ss`` in Vietnam time, as an aware datetime; ``ValueError`` if not."""
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        raise ValueError(f"expected a timestamp written yyyy/MM/dd HH:mm:ss, got {text!r}")
    year, month, day, hour, minute, second = (int(part) for part in match.groups())
    try:
        return dt.datetime(year, month, day, hour, minute, second, tzinfo=VIETNAM)
    except ValueError:
        raise ValueError(f"{text!r} is not a date and time") from None


def parse(
    data: bytes | BinaryIO,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> EdxmlDocument | EdxmlStatus:
    """The package in ``data``, or ``EdxmlInvalid`` listing everything wrong with it.

    ``data`` is the package's bytes, or a seekable binary stream the caller opened (read as it is
    parsed: a large package is then never in memory twice). ``max_bytes`` bounds the input
    (checked before parsing), ``max_depth`` the nesting of elements.
    """
    root = read_tree(data, max_bytes=max_bytes, max_depth=max_depth)
    if root.tag != f"{{{NS}}}edXML":
        raise _refused(
            ["edXML"],
            "edxml_root",
            f"the root element is {root.tag!r}; a package's root is edXML in the namespace {NS}",
        )
    envelope = _first(root, "edXMLEnvelope")
    if envelope is None:
        raise _refused(["edXMLEnvelope"], "missing", "the package has no edXMLEnvelope")
    header = _first(envelope, "edXMLHeader")
    if header is None:
        raise _refused(["edXMLHeader"], "missing", "the edXMLEnvelope has no edXMLHeader")
    reader = _Reader()
    status_box = _first(header, "Status")
    message_header = _first(header, "MessageHeader")
    if status_box is not None:
        return reader.status(status_box, StatusLayout.STATUS)
    if message_header is None:
        raise _refused(["MessageHeader"], "missing", "the edXMLHeader has no MessageHeader")
    if children(message_header, "StatusCode"):
        return reader.status(message_header, StatusLayout.MESSAGE_HEADER)
    return reader.document(root, envelope, header)


def _refused(loc: Loc, type_: str, msg: str) -> EdxmlInvalid:
    return EdxmlInvalid([ErrorDetails(loc=loc, msg=msg, type=type_)], malformed=False)


def _first(parent: etree._Element, name: str) -> etree._Element | None:
    found = children(parent, name)
    return found[0] if found else None


class _Reader:
    """Reads one package, collecting errors and which skipped elements shift list indexes."""

    def __init__(self) -> None:
        self.errors: list[ErrorDetails] = []
        self.remaps: dict[tuple[str | int, ...], list[int]] = {}

    def document(
        self, root: etree._Element, envelope: etree._Element, header: etree._Element
    ) -> EdxmlDocument:
        data = self.read(header, DOCUMENT, [], (), root=root)
        self.check_manifest(envelope, data.get("attachments", []))
        try:
            document = EdxmlDocument.model_validate(data)
        except ValidationError as exc:
            self.translate(exc, DOCUMENT, [])
            raise EdxmlInvalid(self.errors, malformed=False) from None
        if self.errors:
            raise EdxmlInvalid(self.errors, malformed=False)
        return document

    def status(self, box: etree._Element, layout: StatusLayout) -> EdxmlStatus:
        prefix: Loc = [layout.value]
        data = self.read(box, STATUS, prefix, ())
        data["layout"] = layout
        try:
            status = EdxmlStatus.model_validate(data)
        except ValidationError as exc:
            self.translate(exc, STATUS, prefix)
            raise EdxmlInvalid(self.errors, malformed=False) from None
        if self.errors:
            raise EdxmlInvalid(self.errors, malformed=False)
        return status

    def error(self, loc: Loc, type_: str, msg: str) -> None:
        # A repeated container is met once per field read through it: say so once.
        if not any(e["loc"] == loc and e["type"] == type_ for e in self.errors):
            self.errors.append(ErrorDetails(loc=loc, msg=msg, type=type_))

    def translate(self, exc: ValidationError, spec: Spec, prefix: Loc) -> None:
        # A value the reader already refused (a date it could not read) is absent to the model,
        # which would call it missing as well: one error per element is enough.
        # pydantic also calls a list too short when its only items failed: the items say why.
        seen = [error["loc"] for error in self.errors]
        errors = exc.errors(include_url=False, include_input=False, include_context=False)
        failed = [error["loc"] for error in errors]
        for error in errors:
            loc = element_loc(spec, error["loc"], prefix=prefix, remaps=self.remaps)
            if loc not in seen and not (
                error["type"] == "too_short" and _has_inner(error["loc"], failed)
            ):
                self.error(loc, error["type"], error["msg"])

    def read(
        self,
        parent: etree._Element,
        spec: Spec,
        loc: Loc,
        model_loc: tuple[str | int, ...],
        *,
        root: etree._Element | None = None,
    ) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for node in spec.nodes:
            from_root = node.base == "root" and root is not None
            container: etree._Element | None = root if from_root else parent
            at: Loc = [] if from_root else list(loc)
            for name in node.path[:-1]:
                container = self.single(container, name, at)
                at.append(name)
                if container is None:
                    break
            if container is None:
                continue
            name = node.path[-1]
            found = signatures(container) if node.kind == "signature" else children(container, name)
            field_loc = (*model_loc, node.field)
            if node.many:
                if found:
                    data[node.field] = self.many(found, node.kind, [*at, name], field_loc)
            elif found:
                if len(found) > 1:
                    self.repeated([*at, name], len(found))
                value = self.value(found[0], node.kind, [*at, name], field_loc)
                if value is not _SKIP:
                    data[node.field] = value
        return data

    def many(
        self,
        found: Sequence[etree._Element],
        kind: Kind | Spec,
        loc: Loc,
        model_loc: tuple[str | int, ...],
    ) -> list[Any]:
        values: list[Any] = []
        kept: list[int] = []
        for index, element in enumerate(found):
            value = self.value(element, kind, [*loc, index], (*model_loc, len(values)))
            if value is not _SKIP:
                values.append(value)
                kept.append(index)
        if len(kept) != len(found):
            self.remaps[model_loc] = kept
        return values

    def single(self, parent: etree._Element | None, name: str, loc: Loc) -> etree._Element | None:
        found = children(parent, name) if parent is not None else []
        if len(found) > 1:
            self.repeated([*loc, name], len(found))
        return found[0] if found else None

    def repeated(self, loc: Loc, count: int) -> None:
        self.error(
            loc, "element_repeated", f"{loc[-1]} appears {count} times where the standard has one"
        )

    def value(
        self, element: etree._Element, kind: Kind | Spec, loc: Loc, model_loc: tuple[str | int, ...]
    ) -> Any:
        if isinstance(kind, Spec):
            return self.read(element, kind, loc, model_loc)
        if kind == "signature":
            return signature_text(element)
        text = text_of(element)
        if kind == "base64":
            return _unwrapped(text) if text and not text.isspace() else _SKIP
        text = text.strip()
        if kind == "code":
            return text  # empty is refused by AgencyCode, at this element
        if not text:
            return _SKIP
        if kind == "date":
            return self.convert(parse_edxml_date, text, loc, "date_format")
        if kind == "timestamp":
            return self.convert(parse_timestamp, text, loc, "timestamp_format")
        return text  # text, int and bool: the models convert and say what is wrong

    def convert(self, convert: Any, text: str, loc: Loc, type_: str) -> Any:
        try:
            return convert(text)
        except ValueError as exc:
            self.error(loc, type_, str(exc))
            return _SKIP

    def check_manifest(self, envelope: etree._Element, attachments: list[dict[str, Any]]) -> None:
        """Each manifest ``Reference`` and each ``Attachment`` must name the other."""
        carried = {a["content_id"]: i for i, a in enumerate(attachments) if "content_id" in a}
        body, manifest = _first(envelope, "edXMLBody"), None
        if body is not None:
            manifest = _first(body, "edXMLManifest")
        references = children(manifest, "Reference") if manifest is not None else []
        listed: dict[str, int] = {}
        for index, reference in enumerate(references):
            loc: Loc = ["edXMLBody", "edXMLManifest", "Reference", index, "ContentId"]
            ids = children(reference, "ContentId")
            content_id = text_of(ids[0]).strip() if ids else ""
            if not content_id:
                self.error(loc, "missing", "a manifest Reference needs its ContentId")
            elif content_id in listed:
                self.error(
                    loc,
                    "duplicate_content_id",
                    f"{content_id!r} is already listed by Reference {listed[content_id]}",
                )
            else:
                listed[content_id] = index
                if content_id not in carried:
                    self.error(
                        loc,
                        "attachment_missing",
                        f"the manifest lists {content_id!r}, but no AttachmentEncoded/Attachment "
                        "carries it",
                    )
        for content_id, index in carried.items():
            if content_id not in listed:
                self.error(
                    ["AttachmentEncoded", "Attachment", index, "ContentId"],
                    "attachment_unlisted",
                    f"attachment {content_id!r} is not listed in edXMLBody/edXMLManifest",
                )


def _has_inner(loc: tuple[str | int, ...], failed: list[tuple[str | int, ...]]) -> bool:
    return any(len(other) > len(loc) and other[: len(loc)] == loc for other in failed)


def _unwrapped(text: str) -> str:
    # XML Schema's base64Binary allows line breaks (MIME writers wrap at 76); the models keep one
    # line. Searching costs no copy; only wrapped text is copied, once.
    return "".join(text.split()) if _SPACE.search(text) else text
