"""Writing a package: ``write(EdxmlDocument | EdxmlStatus)`` → UTF-8 bytes with a declaration.

The layout is the fixtures' with one difference, made on purpose: every element carries the
``edXML:`` prefix, the root included (``<edXML:edXML xmlns:edXML="...">``), and no default
namespace is declared. The samples declare a default namespace on the root, which silently pulls
any unprefixed element written inside (a ``Signature`` without a namespace) into edXML's; with
prefixes only, the carried ``Signature`` keeps exactly the namespace it came with. Namespace-aware
readers see the same elements either way. Elements follow the standard's order; empty values are
left out; attachments follow the envelope, after a manifest that lists them.

The output is streamed through ``lxml.etree.xmlfile`` so that attachments' base64 text goes from
the model to the output once, without a tree holding another copy.

Not for: reading (``_parse``) or deciding what a package says (the models, ``_convert``).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from contextlib import AbstractContextManager
from typing import Any

from lxml import etree

from lgsp.schemas._base import LGSPModel
from lgsp.schemas.edxml._errors import EdxmlInvalid, ErrorDetails, Loc
from lgsp.schemas.edxml._models import VIETNAM, EdxmlDocument, EdxmlStatus
from lgsp.schemas.edxml._spec import DOCUMENT, STATUS, Kind, Node, Spec
from lgsp.schemas.edxml._xml import NS, parse_fragment

__all__ = ["write"]

_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
# Characters XML 1.0 cannot carry in any form, not even as references.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def write(package: EdxmlDocument | EdxmlStatus) -> bytes:
    """``package`` as edXML bytes; ``EdxmlInvalid`` if a text holds a character XML cannot."""
    out = io.BytesIO()
    out.write(_DECLARATION)
    with etree.xmlfile(out, encoding="utf-8") as xf:
        writer = _Writer(xf)
        writer.open("edXML", nsmap={"edXML": NS})
        writer.open("edXMLEnvelope")
        writer.open("edXMLHeader")
        if isinstance(package, EdxmlStatus):
            writer.open(package.layout.value)
            writer.fields(STATUS, package, [package.layout.value])
            writer.close()
            writer.close()  # edXMLHeader
        else:
            writer.fields(DOCUMENT, package, [])
            writer.close()  # edXMLHeader
            writer.manifest(package)
        writer.close()  # edXMLEnvelope
        if isinstance(package, EdxmlDocument) and package.attachments:
            writer.open("AttachmentEncoded")
            node = DOCUMENT.by_field["attachments"]
            writer.items(node, package.attachments, ["AttachmentEncoded"])
            writer.close()
        writer.close()  # edXML
    if writer.errors:
        raise EdxmlInvalid(writer.errors, malformed=False)
    out.write(b"\n")
    return out.getvalue()


def _format(value: Any, kind: Kind) -> str:
    if kind == "date":
        return f"{value.year:04d}/{value.month:02d}/{value.day:02d}"
    if kind == "timestamp":
        local: dt.datetime = value.astimezone(VIETNAM)
        return local.strftime("%Y/%m/%d %H:%M:%S")
    if kind == "bool":
        return "true" if value else "false"
    if kind == "int":
        return str(int(value))
    return str(value)


class _Writer:
    """Opens and closes elements on an ``xmlfile``, indenting as the fixtures do."""

    def __init__(self, xf: Any) -> None:
        self.xf = xf
        # Each open element, and whether anything was written inside it yet.
        self.stack: list[tuple[AbstractContextManager[Any], list[bool]]] = []
        self.errors: list[ErrorDetails] = []

    def _indent(self) -> None:
        if self.stack:
            self.stack[-1][1][0] = True
            self.xf.write("\n" + "  " * len(self.stack))

    def open(self, name: str, **extra: Any) -> None:
        self._indent()
        element = self.xf.element(f"{{{NS}}}{name}", **extra)
        element.__enter__()
        self.stack.append((element, [False]))

    def close(self) -> None:
        element, [filled] = self.stack.pop()
        if filled:
            self.xf.write("\n" + "  " * len(self.stack))
        element.__exit__(None, None, None)

    def leaf(self, name: str, text: str, loc: Loc) -> None:
        if _NOT_XML.search(text):
            self.errors.append(
                ErrorDetails(
                    loc=loc,
                    msg="holds a character XML 1.0 cannot carry (a control character)",
                    type="xml_character",
                )
            )
            return
        self._indent()
        with self.xf.element(f"{{{NS}}}{name}"):
            self.xf.write(text)

    def fields(self, spec: Spec, model: LGSPModel, loc: Loc) -> None:
        """``model``'s set fields, grouping those that share container elements."""
        opened: list[str] = []
        for node in spec.nodes:
            if node.base == "root":
                continue  # written after the envelope
            value = getattr(model, node.field)
            if value is None or value == ():
                continue
            container = node.path[:-1]
            shared = 0
            while shared < min(len(opened), len(container)) and opened[shared] == container[shared]:
                shared += 1
            while len(opened) > shared:
                opened.pop()
                self.close()
            for name in container[shared:]:
                self.open(name)
                opened.append(name)
            at = [*loc, *container]
            if node.many:
                self.items(node, value, at)
            else:
                self.item(node, value, [*at, node.path[-1]])
        while opened:
            opened.pop()
            self.close()

    def items(self, node: Node, values: tuple[Any, ...], loc: Loc) -> None:
        for index, value in enumerate(values):
            self.item(node, value, [*loc, node.path[-1], index])

    def item(self, node: Node, value: Any, loc: Loc) -> None:
        name = node.path[-1]
        if isinstance(node.kind, Spec):
            self.open(name)
            self.fields(node.kind, value, loc)
            self.close()
        elif node.kind == "signature":
            self._indent()
            # Written as its own standalone element: it keeps its namespace and declarations.
            self.xf.write(parse_fragment(value))
        elif node.kind == "base64":
            self._indent()
            with self.xf.element(f"{{{NS}}}{name}"):
                self.xf.write(value)  # validated base64: nothing to check or escape
        else:
            self.leaf(name, _format(value, node.kind), loc)

    def manifest(self, document: EdxmlDocument) -> None:
        """``edXMLBody/edXMLManifest``: a ``Reference`` per attachment, as the samples write it."""
        self.open("edXMLBody")
        self.open("edXMLManifest", attrib={"version": "1.0"})
        for index, attachment in enumerate(document.attachments):
            loc: Loc = ["edXMLBody", "edXMLManifest", "Reference", index]
            self.open("Reference")
            self.leaf("ContentId", attachment.content_id, [*loc, "ContentId"])
            self.leaf("ContentType", attachment.content_type, [*loc, "ContentType"])
            if attachment.description is not None:
                self.leaf("Description", attachment.description, [*loc, "Description"])
            self.leaf("AttachmentName", attachment.name, [*loc, "AttachmentName"])
            self.close()
        self.close()
        self.close()
