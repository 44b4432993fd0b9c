"""Is an edXML package's digital signature (chữ ký số) valid for the certificate it carries?

An edXML package (QCVN 102:2016/BTTTT) carries one enveloped XML-DSig ``Signature`` in its
``edXMLHeader``: ``Reference URI=""`` over the whole package, and the signer's X.509 certificate in
``KeyInfo/X509Data``. ``check_signature`` answers SIGNED, UNSIGNED or INVALID (with a short
reason) and never raises for a bad package; only programming errors raise.

What it answers: whether the signature is mathematically valid for the certificate embedded in
the package. Not for: trust. Whether that certificate chains to a national root (the Government
Cipher Committee's CA for state agencies, the licensed public CAs under NEAC), whether it was
revoked, or whether it was within its validity period when the document was signed (a package
carries no trusted signing time, and an archived document signed with a since-expired certificate
is still the document that was signed) are trust decisions this module does not make. Callers who
pin certificates pass ``trusted_certificates``; a valid signature by any other certificate is then
INVALID with the reason ``"untrusted certificate"``. A chain-of-trust check against the national CA
list belongs in its own module, fed by registry data.

Where the signature sits: real packages spell the element three ways, and all three are read:

- ``<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">`` (or a ``ds:`` prefix), as the standard
  says and as ``edoc.edxml`` of the Government Office's SDK samples has it;
- ``<Signature>`` with no namespace declaration inside the edXML default namespace, as the SDK's
  other samples have it: the element (and all its children) then lands in the edXML namespace;
- ``<Signature xmlns="">``, in no namespace at all.

XML-DSig verifiers (signxml included) only look for the xmldsig namespace, and the signed
``SignedInfo`` was canonicalised in that namespace, so the last two are verified on a copy of the
tree in which the signature's elements are moved back into it. The prefix the signer used is lost
with the namespace and is part of what was signed, so both usual spellings are tried: a default
namespace (what Java's and .NET's signers write) and ``ds:`` (signxml, Apache Santuario). Only the
signature's own elements are renamed, and the enveloped transform removes the signature before the
digest, so the document content that the digest covers is exactly what the sender sent.

Safety: bytes are parsed without DTDs, entity expansion or network access, and a DOCTYPE is
refused; libxml2's amplification and depth limits bound parsing. Large trees are allowed because
base64 attachments exceed libxml2's default 10 MB text limit. Exactly one signature and one
reference covering the whole package are accepted; certificates are taken from the package and
never fetched; signxml's own CA lookup (which reads certifi's bundle) is bypassed.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any, cast

import cryptography.exceptions
from cryptography import x509
from lxml import etree
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
from signxml.exceptions import (
    InvalidCertificate,
    InvalidDigest,
    InvalidInput,
    InvalidSignature,
    SignXMLException,
)
from signxml.verifier import SignatureConfiguration, XMLVerifier

__all__ = ["SignatureCheck", "SignatureState", "check_signature"]

_DS = "http://www.w3.org/2000/09/xmldsig#"
_EDXML = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
_NS = {"ds": _DS}

# The tags a package's signature is found under: the standard one, and the two the SDK samples
# produce when the xmldsig namespace declaration is lost (see the module docstring).
_SIGNATURE_TAGS = (f"{{{_DS}}}Signature", f"{{{_EDXML}}}Signature", "Signature")

# Default namespace first: the SDK's signer writes it that way (edoc.edxml).
_PREFIXES: tuple[str | None, ...] = (None, "ds")

# Real packages sign with rsa-sha1 and sha1 digests, which signxml refuses by default. HMAC is left
# out: a shared-secret signature says nothing about a signer.
_SIGNATURE_METHODS = frozenset(m for m in SignatureMethod if not m.name.startswith("HMAC_"))
_DIGEST_ALGORITHMS = frozenset(DigestAlgorithm)
_C14N_METHODS = frozenset(CanonicalizationMethod)

# Junk some senders put before the XML declaration (edoc_new.edxml starts with ``1212``).
_MAX_STRAY_PREFIX = 16
_PRINTABLE = frozenset(range(0x20, 0x7F)) | {0x09, 0x0A, 0x0D}

_MAX_REASON = 200


class SignatureState(StrEnum):
    """What a package's signature says about it."""

    SIGNED = "signed"
    """One enveloped signature over the whole package, valid for the certificate it carries."""
    UNSIGNED = "unsigned"
    """No signature element at all (status packages, most provincial software)."""
    INVALID = "invalid"
    """A signature is there but does not verify; ``reason`` says why."""


@dataclass(frozen=True)
class SignatureCheck:
    """The answer of ``check_signature``.

    ``reason`` says why a signature is INVALID, in one short line. ``signer`` is the RFC 4514
    subject of the certificate that verified the signature (``CN=...,O=...``): set when SIGNED, and
    when INVALID only because the certificate is not among ``trusted_certificates``.
    """

    state: SignatureState
    reason: str | None = None
    signer: str | None = None


class _Invalid(Exception):
    """A package whose signature cannot be accepted; never leaves this module.

    ``retryable``: the signature value did not verify, which another spelling of the namespace or
    another certificate of the package may fix; every other failure is final.
    """

    def __init__(self, reason: str, *, retryable: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


def check_signature(
    package: bytes | etree._Element,
    *,
    trusted_certificates: Collection[x509.Certificate] | None = None,
) -> SignatureCheck:
    """Check the enveloped signature of an edXML package (raw bytes, or its parsed root element).

    An element is not modified. With ``trusted_certificates``, a valid signature by a certificate
    not in it is INVALID (``"untrusted certificate"``); without it, any embedded certificate is
    taken at its word (see the module docstring).
    """
    if not isinstance(package, bytes | etree._Element):
        raise TypeError(f"package must be bytes or an lxml element, not {type(package).__name__}")
    if isinstance(package, bytes) and b"Signature" not in package and b"<!DOCTYPE" not in package:
        # No element of that name can be there (and no DOCTYPE to refuse): spare a large package
        # a second parse.
        return SignatureCheck(SignatureState.UNSIGNED)
    try:
        root = _private_tree(package)
        signature = _find_signature(root)
        if signature is None:
            return SignatureCheck(SignatureState.UNSIGNED)
        certificate = _verify(root, signature)
    except _Invalid as exc:
        return SignatureCheck(SignatureState.INVALID, reason=exc.reason)
    signer = _subject(certificate)
    if trusted_certificates is not None and certificate not in trusted_certificates:
        return SignatureCheck(SignatureState.INVALID, reason="untrusted certificate", signer=signer)
    return SignatureCheck(SignatureState.SIGNED, signer=signer)


# --------------------------------------------------------------------------------------------
# Parsing


def _parser() -> etree.XMLParser:
    # A parser per call: lxml parsers must not be shared between threads.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        # Attachments are base64 in one text node, often past libxml2's 10 MB default. libxml2
        # keeps its entity-amplification and depth guards with this on (the tests hold it to
        # that), and a DOCTYPE is refused right after parsing anyway.
        huge_tree=True,
    )


def _private_tree(package: bytes | etree._Element) -> etree._Element:
    """A tree of our own (renaming the signature must not touch the caller's)."""
    if isinstance(package, bytes):
        data = _strip_stray_prefix(package)
    else:
        _refuse_doctype(package.getroottree())
        data = etree.tostring(package, with_tail=False)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise _Invalid(f"not well-formed XML: {_short(exc)}") from exc
    _refuse_doctype(root.getroottree())
    return root


def _strip_stray_prefix(data: bytes) -> bytes:
    """Drop a few printable bytes before the first ``<``; keep BOMs and anything longer."""
    start = data.find(b"<", 0, _MAX_STRAY_PREFIX + 1)
    if start <= 0 or not all(byte in _PRINTABLE for byte in data[:start]):
        return data
    return data[start:]


def _refuse_doctype(tree: etree._ElementTree) -> None:
    docinfo = tree.docinfo
    if docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise _Invalid("DOCTYPE not allowed in a package")


def _find_signature(root: etree._Element) -> etree._Element | None:
    found = list(root.iter(*_SIGNATURE_TAGS))
    outermost = [el for el in found if not any(a in found for a in el.iterancestors())]
    if not outermost:
        return None
    if len(outermost) > 1:
        # Which of them speaks for the package would be a guess; edXML has one signature.
        raise _Invalid(f"{len(outermost)} signature elements; a package carries one")
    if outermost[0].getparent() is None:
        raise _Invalid("the signature is the whole document, not enveloped in it")
    return outermost[0]


# --------------------------------------------------------------------------------------------
# Verification


def _verify(root: etree._Element, signature: etree._Element) -> x509.Certificate:
    """The certificate the package's signature verifies with, or ``_Invalid``."""
    failure: _Invalid | None = None
    for spelling in _xmldsig_spellings(signature):
        try:
            return _verify_spelling(root, spelling)
        except _Invalid as exc:
            if not exc.retryable:
                raise
            failure = failure or exc
    assert failure is not None  # _xmldsig_spellings yields at least once
    raise failure


def _xmldsig_spellings(signature: etree._Element) -> Iterator[etree._Element]:
    """The signature in the xmldsig namespace, each plausible way, swapped into the tree in turn."""
    namespace = etree.QName(signature).namespace
    if namespace == _DS:
        yield signature
        return
    parent = signature.getparent()
    assert parent is not None  # checked by _find_signature
    current = signature
    for prefix in _PREFIXES:
        renamed = _in_xmldsig(signature, namespace, prefix)
        parent.replace(current, renamed)
        current = renamed
        yield renamed


def _in_xmldsig(signature: etree._Element, lost: str | None, prefix: str | None) -> etree._Element:
    """A copy of ``signature`` with its elements in namespace ``lost`` moved to xmldsig."""

    def tag(element: etree._Element) -> str:
        name = etree.QName(element)
        return f"{{{_DS}}}{name.localname}" if name.namespace == lost else element.tag

    # lxml-stubs types nsmap keys as str, but None (the default namespace) is what lxml expects.
    top = etree.Element(tag(signature), nsmap=cast("dict[str, str]", {prefix: _DS}))
    top.attrib.update(signature.attrib)
    top.text, top.tail = signature.text, signature.tail
    # Iterative: an adversarial signature may nest deeper than Python recursion allows.
    stack = [(signature, top)]
    while stack:
        source, target = stack.pop()
        for child in source:
            if isinstance(child.tag, str):
                twin = etree.SubElement(target, tag(child))
                twin.attrib.update(child.attrib)
                twin.text = child.text
                stack.append((child, twin))
            else:  # comment or processing instruction
                twin = copy.copy(child)
                target.append(twin)
            twin.tail = child.tail
    return top


def _verify_spelling(root: etree._Element, signature: etree._Element) -> x509.Certificate:
    references = signature.findall("ds:SignedInfo/ds:Reference", _NS)
    if len(references) != 1:
        raise _Invalid(f"{len(references)} references in SignedInfo; expected one")
    uri = references[0].get("URI")
    if uri != "":
        raise _Invalid(f'the signature must cover the whole package (URI=""), not URI={uri!r}')
    _check_algorithm(signature, "ds:SignedInfo/ds:CanonicalizationMethod", _C14N_METHODS)
    _check_algorithm(signature, "ds:SignedInfo/ds:SignatureMethod", _SIGNATURE_METHODS)
    _check_algorithm(references[0], "ds:DigestMethod", _DIGEST_ALGORITHMS)

    texts = signature.findall("ds:KeyInfo/ds:X509Data/ds:X509Certificate", _NS)
    if not texts:
        raise _Invalid("no X509Certificate in KeyInfo/X509Data")
    certificates = [_load_certificate(el.text) for el in texts]

    # X509Data may hold a chain in any order; the signer's certificate is the one that verifies.
    failure: _Invalid | None = None
    for certificate in certificates:
        try:
            _signxml_verify(root, certificate)
            return certificate
        except _Invalid as exc:
            if not exc.retryable:
                raise
            failure = failure or exc
    assert failure is not None
    raise failure


def _check_algorithm(
    element: etree._Element,
    path: str,
    supported: Collection[Enum],
) -> None:
    method = element.find(path, _NS)
    if method is None:
        return  # a missing element is signxml's schema check to report
    algorithm = method.get("Algorithm")
    if algorithm not in {m.value for m in supported}:
        raise _Invalid(f"unsupported algorithm: {algorithm}")


def _load_certificate(text: str | None) -> x509.Certificate:
    try:
        der = base64.b64decode("".join((text or "").split()), validate=True)
        return x509.load_der_x509_certificate(der)
    except ValueError as exc:  # binascii.Error is one
        raise _Invalid(f"unparsable certificate: {_short(exc)}") from exc


class _Verifier(XMLVerifier):
    """signxml's verifier, canonicalising a re-rooted copy of any element that is not a root.

    lxml (seen with 6.1.3 on libxml2 2.14.6) gets inclusive C14N of a non-root element wrong
    when a default namespace is in scope: elements two levels below it get a spurious
    ``xmlns=""`` (the symptom of signxml issue #275). signxml canonicalises ``SignedInfo`` in
    place, so every signature written with a default xmldsig namespace (Java's and .NET's
    layout, the SDK's) would fail to verify. A root element canonicalises correctly, and
    serialising a subtree copies every in-scope namespace onto it, so the copy has the same
    namespace axis. (``xml:*`` attributes of the ``Signature`` element would not be inherited;
    signxml already drops those of its ancestors.)
    """

    def _c14n(
        self,
        nodes: Any,
        algorithm: CanonicalizationMethod,
        inclusive_ns_prefixes: list[str] | None = None,
    ) -> bytes:
        rerooted = [
            etree.fromstring(etree.tostring(node), _parser())
            if isinstance(node, etree._Element) and node.getparent() is not None
            else node
            for node in (nodes if isinstance(nodes, list) else [nodes])
        ]
        c14n: bytes = super()._c14n(rerooted, algorithm, inclusive_ns_prefixes)
        return c14n


def _signxml_verify(root: etree._Element, certificate: x509.Certificate) -> None:
    config = SignatureConfiguration(
        require_x509=True,
        expect_references=1,
        signature_methods=_SIGNATURE_METHODS,
        digest_algorithms=_DIGEST_ALGORITHMS,
        # Validity periods are a trust question (module docstring): verify "as of" the first
        # moment the certificate was valid, so signxml's period check always passes.
        verification_time=certificate.not_valid_before_utc,
        # XML-DSig 1.0 turns a node-set into octets with Canonical XML 1.0 when no transform
        # says otherwise (the SDK lists only the enveloped transform); signxml assumes 1.1.
        default_reference_c14n_method=CanonicalizationMethod.CANONICAL_XML_1_0,
    )
    try:
        # x509_cert: use the embedded certificate as is; without it signxml would build a chain
        # against certifi's CA bundle (a file read, and a trust decision that is not ours).
        _Verifier().verify(root, x509_cert=certificate, parser=_parser(), expect_config=config)
    except InvalidDigest as exc:
        raise _Invalid("digest mismatch: the package was changed after signing") from exc
    except InvalidCertificate as exc:
        raise _Invalid(f"certificate refused: {_short(exc)}") from exc
    except (InvalidSignature, cryptography.exceptions.InvalidSignature) as exc:
        raise _Invalid("signature value does not verify", retryable=True) from exc
    except cryptography.exceptions.UnsupportedAlgorithm as exc:
        raise _Invalid(f"unsupported algorithm: {_short(exc)}") from exc
    except etree.DocumentInvalid as exc:
        raise _Invalid(f"not an XML-DSig Signature: {_short(exc)}") from exc
    except (InvalidInput, SignXMLException, etree.LxmlError, ValueError) as exc:
        raise _Invalid(f"malformed signature: {_short(exc)}") from exc
    except (TypeError, KeyError, AttributeError, IndexError) as exc:
        # signxml trips over some malformed signatures instead of refusing them (an empty
        # SignatureValue reaches b64decode(None)); that is the package's fault, not ours.
        raise _Invalid(f"malformed signature ({type(exc).__name__})") from exc


def _subject(certificate: x509.Certificate) -> str:
    try:
        return certificate.subject.rfc4514_string()
    except ValueError:
        return "<unreadable subject>"


def _short(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else type(exc).__name__
    return text if len(text) <= _MAX_REASON else text[: _MAX_REASON - 1] + "…"
