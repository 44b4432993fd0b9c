"""Bytes to an lxml tree, safely; and the XML details the edXML modules share.

Hostile input is stopped before it can cost anything:

- a DOCTYPE is refused before libxml2 sees the bytes, so entity expansion (billion laughs),
  external entities (XXE) and external DTDs never run; the tree is checked again after parsing;
- the parser resolves no entities, loads no DTD, touches no network, and XInclude is never called;
  ``huge_tree=False`` keeps libxml2's own limits (depth 256, 10,000,000 characters per text node,
  so one attachment is at most about 7 MiB once decoded);
- our own limits on top: ``max_bytes`` before parsing, ``max_depth`` (64 by default; the deepest
  element of a real package sits at depth 9) after;
- UTF-8 only, checked before parsing (byte-order marks, NUL bytes, the declared encoding): every
  package seen is UTF-8, government text is Unicode (TCVN 6909:2001), and the DOCTYPE check reads
  the prolog as ASCII bytes, which only an ASCII-compatible encoding makes sound. Another encoding
  is refused rather than guessed.

Quirks of real packages accepted (the SDK samples): up to 16 bytes of digits or whitespace before
the first ``<`` (``edoc_new.edxml`` starts with ``1212``); attributes with an undeclared prefix
(``xlink:href`` in ``edoc.edxml``), which are then ignored; and elements with the ``edXML:``
prefix where it is not declared (``edoc.edxml`` uses it on ``AttachmentEncoded`` and below, outside
the ``edXMLEnvelope`` that declares it), read as edXML elements. Any other undeclared prefix is
refused. edXML elements are matched in the edXML namespace or in none (an unprefixed
``Attachment`` written under no default namespace), since writers that build packages from strings
lose namespaces on the way.

Not for: what the elements mean (``_parse``) or writing packages (``_write``).
"""

from __future__ import annotations

import copy
import io
import re
from typing import BinaryIO

from lxml import etree

from lgsp.schemas.edxml._errors import EdxmlInvalid, ErrorDetails

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_DEPTH",
    "DSIG",
    "NS",
    "children",
    "local_name",
    "normalize_signature",
    "parse_fragment",
    "read_tree",
    "signature_text",
    "signatures",
    "text_of",
]

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
"""The edXML namespace of QCVN 102:2016/BTTTT."""
DSIG = "http://www.w3.org/2000/09/xmldsig#"

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
DEFAULT_MAX_DEPTH = 64
_MAX_PREFIX = 16
_BOM = b"\xef\xbb\xbf"
_HEAD = 64 * 1024  # what the checks before parsing read of a package
# Whitespace, processing instructions (the XML declaration) and comments: all a prolog may hold
# before a DOCTYPE. No quantifier here can backtrack badly: the match may stop anywhere.
_PROLOG = re.compile(rb"(?:\s+|<\?.*?\?>|<!--.*?-->)*", re.DOTALL)
_UTF8 = frozenset({"UTF-8", "UTF8"})
_DECLARED = re.compile(rb"<\?xml\s[^>]*?encoding\s*=\s*[\"']([^\"']*)[\"']")
# UTF-16 and UTF-32 byte-order marks; without one, their "<" comes with NUL bytes.
_WIDE = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")


def _parser(*, recover: bool = False) -> etree.XMLParser:
    # A new parser per document: lxml parsers are not thread-safe and keep their error log.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        # Attachments of tens of megabytes are one text node each, past libxml2's 10 MB default.
        # Lifting that limit is safe here because no DOCTYPE ever reaches the parser (so no
        # entity can expand), the input is bounded by ``max_bytes`` before parsing, and libxml2
        # still stops nesting at 2048 levels (our own bound, checked after, is lower).
        huge_tree=True,
        # Whitespace is kept so that the Signature is carried exactly as written.
        remove_blank_text=False,
        recover=recover,
    )


def _refuse(type_: str, msg: str) -> EdxmlInvalid:
    return EdxmlInvalid([ErrorDetails(loc=[], msg=msg, type=type_)], malformed=True)


def read_tree(data: bytes | BinaryIO, *, max_bytes: int, max_depth: int) -> etree._Element:
    """The root element of ``data`` (bytes, or a seekable binary stream the caller opened, read as
    it is parsed so that a large package is never held whole in memory besides its tree), or
    ``EdxmlInvalid(malformed=True)`` saying why not."""
    if isinstance(data, bytes):
        size = len(data)
        head = data[:_HEAD]
    else:
        size = data.seek(0, io.SEEK_END)
        data.seek(0)
        head = data.read(_HEAD)
    if size > max_bytes:
        raise _refuse("xml_too_large", f"the package is {size} bytes; at most {max_bytes} are read")
    skip = _junk_length(head)
    head = head[skip:]
    _check_utf8(head)
    prolog = _PROLOG.match(head, len(_BOM) if head.startswith(_BOM) else 0)
    end = prolog.end() if prolog else 0
    if end >= len(head) and size > skip + len(head):
        raise _refuse("xml_malformed", f"the prolog is longer than {_HEAD} bytes")
    if head[end : end + 9].upper() == b"<!DOCTYPE":
        raise _refuse("xml_doctype", "a DOCTYPE is not allowed in an edXML package")
    root = _parse(data, skip)
    docinfo = root.getroottree().docinfo
    # Cannot happen after the prolog check; kept so that a gap there cannot open a hole.
    # (lxml-stubs lacks DocInfo.doctype.)
    if getattr(docinfo, "doctype", "") or docinfo.internalDTD is not None:
        raise _refuse("xml_doctype", "a DOCTYPE is not allowed in an edXML package")
    if (docinfo.encoding or "UTF-8").upper() not in _UTF8:
        raise _refuse(
            "xml_encoding", f"the package declares {docinfo.encoding}; edXML packages are UTF-8"
        )
    if _deeper_than(root, max_depth):
        raise _refuse("xml_too_deep", f"elements are nested deeper than {max_depth} levels")
    return root


def _check_utf8(data: bytes) -> None:
    if data.startswith(_WIDE) or (b"\x00" in data[:4] and b"<" in data[:4]):
        raise _refuse("xml_encoding", "the package is UTF-16 or UTF-32; edXML packages are UTF-8")
    declared = _DECLARED.match(data, len(_BOM) if data.startswith(_BOM) else 0)
    if declared and declared.group(1).decode("ascii", "replace").upper() not in _UTF8:
        name = declared.group(1).decode("ascii", "replace")
        raise _refuse("xml_encoding", f"the package declares {name}; edXML packages are UTF-8")


def _junk_length(head: bytes) -> int:
    """How many bytes of known junk (``1212`` in an SDK sample) stand before the first ``<``."""
    first = head.find(b"<", 0, _MAX_PREFIX + 1)
    if first <= 0 or head.startswith(_BOM + b"<"):
        return 0  # nothing to skip, or not XML at all: the parser says which
    if head[:first].translate(None, b" \t\r\n0123456789"):
        return 0  # something else than the known junk: the parser says what is wrong
    return first


def _parse_once(data: bytes | BinaryIO, skip: int, parser: etree.XMLParser) -> etree._Element:
    if isinstance(data, bytes):
        return etree.fromstring(data[skip:] if skip else data, parser)
    data.seek(skip)
    return etree.parse(data, parser).getroot()


def _parse(data: bytes | BinaryIO, skip: int) -> etree._Element:
    parser = _parser()
    try:
        return _parse_once(data, skip, parser)
    except etree.XMLSyntaxError as exc:
        log = list(parser.error_log)
        if not (log and all(_tolerated_prefix(entry) for entry in log)):
            raise _malformed(log, exc) from None
    # Only undeclared prefixes we tolerate were wrong, and libxml2 reports those without stopping,
    # so the log above is complete: recovering changes nothing but those names, which keep their
    # prefix ("edXML:Attachment", in no namespace) and are matched by ``children``.
    root = _parse_once(data, skip, _parser(recover=True))
    if root is None:  # pragma: no cover - recover yields a root whenever the strict pass got one
        raise _refuse("xml_malformed", "not well-formed XML")
    return root


def _tolerated_prefix(entry: etree._LogEntry) -> bool:
    # libxml2 words these "Namespace prefix p for attr on elem is not defined" (an attribute) and
    # "Namespace prefix p on elem is not defined" (an element).
    return entry.type_name == "NS_ERR_UNDEFINED_NAMESPACE" and (
        " for " in entry.message or entry.message.startswith("Namespace prefix edXML on ")
    )


def _malformed(log: list[etree._LogEntry], exc: etree.XMLSyntaxError) -> EdxmlInvalid:
    entry = next((e for e in log if e.level_name == "FATAL"), log[0] if log else None)
    if entry is None:
        return _refuse("xml_malformed", f"not well-formed XML: {exc}")
    where = f"line {entry.line}, column {entry.column}"
    if entry.type_name == "ERR_RESOURCE_LIMIT":
        deep = "depth" in entry.message
        return _refuse(
            "xml_too_deep" if deep else "xml_too_large",
            f"{entry.message.strip()} ({where}); the parser's limits are not lifted",
        )
    if entry.type_name == "ERR_DOCUMENT_EMPTY":
        return _refuse("xml_malformed", "the package is empty")
    return _refuse("xml_malformed", f"not well-formed XML: {entry.message.strip()} ({where})")


def _deeper_than(root: etree._Element, limit: int) -> bool:
    depth = 0
    for event, _ in etree.iterwalk(root, events=("start", "end")):
        depth += 1 if event == "start" else -1
        if depth > limit:
            return True
    return False


def local_name(element: etree._Element) -> str:
    """The element's name without namespace."""
    return etree.QName(element).localname


def children(parent: etree._Element, name: str) -> list[etree._Element]:
    """Child elements called ``name``: in the edXML namespace, in none, or ``edXML:`` undeclared."""
    names = (f"{{{NS}}}{name}", name, f"edXML:{name}")
    return [child for child in parent if child.tag in names]


def signatures(parent: etree._Element) -> list[etree._Element]:
    """Child ``Signature`` elements: XML-DSig's, or (as ``edoc_new.edxml`` has it) edXML's."""
    names = (f"{{{DSIG}}}Signature", f"{{{NS}}}Signature", "Signature")
    return [child for child in parent if child.tag in names]


def text_of(element: etree._Element) -> str:
    """The element's text as lxml gives it: not copied when the element holds text only."""
    if len(element) == 0:
        return element.text or ""
    # Comments split text; child elements in a leaf are a sender's mistake, read as text.
    return "".join(text for text in element.itertext() if isinstance(text, str))


def signature_text(element: etree._Element) -> str:
    """``element`` (a ``Signature``) as standalone XML text that reads the same anywhere.

    Declarations it inherits but does not use are dropped, so the text does not depend on the
    package it came from; it keeps its own namespace, whitespace and comments.
    """
    standalone = copy.deepcopy(element)
    standalone.tail = None
    etree.cleanup_namespaces(standalone)
    return etree.tostring(standalone, encoding="unicode")


def parse_fragment(text: str) -> etree._Element:
    """A standalone element from ``text``, with the same hardening as packages; ``ValueError``."""
    raw = text.encode()
    prolog = _PROLOG.match(raw)
    end = prolog.end() if prolog else 0
    if raw[end : end + 9].upper() == b"<!DOCTYPE":
        raise ValueError("a DOCTYPE is not allowed")
    try:
        return etree.fromstring(raw, _parser())
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"not well-formed XML: {exc}") from None


def normalize_signature(text: str) -> str:
    """The canonical text of a ``Signature`` element given as XML text; ``ValueError``."""
    element = parse_fragment(text)
    if not isinstance(element.tag, str) or local_name(element) != "Signature":
        raise ValueError(f"expected a Signature element, got {element.tag!r}")
    return signature_text(element)
