"""``check_signature`` on packages signed here, and on the Government Office SDK's real samples."""

from __future__ import annotations

import base64
import datetime as dt
import os
import socket
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree
from signxml.algorithms import DigestAlgorithm, SignatureMethod
from signxml.signer import XMLSigner

from lgsp.documents import SignatureCheck, SignatureState, check_signature

EDXML = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
DS = "http://www.w3.org/2000/09/xmldsig#"
C14N_10 = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
SUBJECT = "Về việc triển khai nền tảng tích hợp, chia sẻ dữ liệu"
SIGNER = "CN=Văn phòng UBND tỉnh Thử Nghiệm,O=LGSP test"

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "edxml" / "vpcp-sdk"


# --------------------------------------------------------------------------------------------
# Keys, certificates and packages


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _certificate(
    key: rsa.RSAPrivateKey, name: str = SIGNER, *, expired: bool = False
) -> x509.Certificate:
    subject = x509.Name.from_rfc4514_string(name)
    now = dt.datetime.now(dt.UTC) - dt.timedelta(days=3650 if expired else 0)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return _key()


@pytest.fixture(scope="module")
def cert(key: rsa.RSAPrivateKey) -> x509.Certificate:
    return _certificate(key)


def _package(signature_placeholder: bool = True, attachment: str = "") -> etree._Element:
    """A small edXML-like package spelled as the SDK spells it (default + ``edXML:`` prefix)."""
    placeholder = (
        f'<ds:Signature xmlns:ds="{DS}" Id="placeholder"/>' if signature_placeholder else ""
    )
    xml = f"""<edXML xmlns="{EDXML}">
  <edXML:edXMLEnvelope xmlns:edXML="{EDXML}">
    <edXML:edXMLHeader>
      <edXML:MessageHeader>
        <edXML:From><edXML:OrganId>000.00.00.H41</edXML:OrganId></edXML:From>
        <edXML:Subject>{SUBJECT}</edXML:Subject>
      </edXML:MessageHeader>
      {placeholder}
    </edXML:edXMLHeader>
    <edXML:edXMLBody/>
  </edXML:edXMLEnvelope>
  <AttachmentEncoded>
    <Attachment><ContentTransferEncoded>{attachment}</ContentTransferEncoded></Attachment>
  </AttachmentEncoded>
</edXML>"""
    return etree.fromstring(xml.encode(), etree.XMLParser(huge_tree=True))


class _LegacySigner(XMLSigner):
    # signxml refuses to create SHA1 signatures; real packages still carry them.
    def check_deprecated_methods(self) -> None:
        pass


def _sign(
    key: rsa.RSAPrivateKey,
    cert: x509.Certificate,
    *,
    legacy: bool = False,
    chain: tuple[x509.Certificate, ...] = (),
) -> bytes:
    """Signed by signxml, ``ds:`` prefix, inside edXMLHeader."""
    if legacy:
        signer: XMLSigner = _LegacySigner(
            signature_algorithm=SignatureMethod.RSA_SHA1,
            digest_algorithm=DigestAlgorithm.SHA1,
            c14n_algorithm=C14N_10,
        )
    else:
        signer = XMLSigner()
    signed = signer.sign(_package(), key=key, cert=[*chain, cert])
    return etree.tostring(signed, encoding="UTF-8")


def _sign_like_the_sdk(
    key: rsa.RSAPrivateKey, cert: x509.Certificate, *, attachment: str = ""
) -> bytes:
    """Signed the way edoc.edxml is laid out: default xmldsig namespace, C14N 1.0, rsa-sha1,
    only the enveloped transform (signxml cannot write a default-namespace signature into a
    document that has its own default namespace, so this is done by hand)."""
    root = _package(signature_placeholder=False, attachment=attachment)
    digest = hashes.Hash(hashes.SHA1())
    digest.update(etree.tostring(root, method="c14n"))
    header = root.find(f".//{{{EDXML}}}edXMLHeader")
    assert header is not None
    signature = etree.SubElement(header, f"{{{DS}}}Signature", nsmap={None: DS})  # type: ignore[dict-item]

    def sub(
        parent: etree._Element, name: str, text: str | None = None, **attrs: str
    ) -> etree._Element:
        element = etree.SubElement(parent, f"{{{DS}}}{name}", attrs)
        element.text = text
        return element

    signed_info = sub(signature, "SignedInfo")
    sub(signed_info, "CanonicalizationMethod", Algorithm=C14N_10)
    sub(signed_info, "SignatureMethod", Algorithm=f"{DS}rsa-sha1")
    reference = sub(signed_info, "Reference", URI="")
    sub(sub(reference, "Transforms"), "Transform", Algorithm=f"{DS}enveloped-signature")
    sub(reference, "DigestMethod", Algorithm=f"{DS}sha1")
    sub(reference, "DigestValue", base64.b64encode(digest.finalize()).decode())
    # Canonicalised as a re-rooted copy: lxml 6.1 adds spurious xmlns="" when canonicalising a
    # default-namespace element in place (see lgsp.documents.signature._Verifier).
    signed_info_c14n = etree.tostring(etree.fromstring(etree.tostring(signed_info)), method="c14n")
    assert b'xmlns=""' not in signed_info_c14n
    value = key.sign(signed_info_c14n, padding.PKCS1v15(), hashes.SHA1())
    sub(signature, "SignatureValue", base64.b64encode(value).decode())
    der = cert.public_bytes(Encoding.DER)
    sub(
        sub(sub(signature, "KeyInfo"), "X509Data"),
        "X509Certificate",
        base64.b64encode(der).decode(),
    )
    return etree.tostring(root, encoding="UTF-8")


def _out_of_xmldsig(signed: bytes, *, undeclare: bool) -> bytes:
    """Move the signature out of the xmldsig namespace by text, as the SDK samples have it:
    into the edXML default namespace it sits in, or (``undeclare``) into no namespace."""
    declared = signed.replace(f' xmlns:ds="{DS}"'.encode(), b"", 1)
    declared = declared.replace(f' xmlns="{DS}"'.encode(), b"", 1)
    declared = declared.replace(b"<ds:", b"<").replace(b"</ds:", b"</")
    if undeclare:
        declared = declared.replace(b"<Signature", b'<Signature xmlns=""', 1)
    return declared


def _tamper_subject(signed: bytes) -> bytes:
    tampered = signed.replace("triển khai".encode(), "triển khaj".encode(), 1)
    assert tampered != signed
    return tampered


def _strip_signature(signed: bytes) -> bytes:
    root = etree.fromstring(signed)
    for signature in root.iter(f"{{{DS}}}Signature", f"{{{EDXML}}}Signature", "Signature"):
        parent = signature.getparent()
        assert parent is not None
        parent.remove(signature)
        break
    return etree.tostring(root)


def _truncate_certificate(signed: bytes) -> bytes:
    start = signed.index(b"X509Certificate>") + len(b"X509Certificate>")
    end = signed.index(b"</", start)
    return signed[: start + 11] + signed[end:]  # the SDK samples keep 11 characters: MIIFqTCCBJG


# --------------------------------------------------------------------------------------------
# Packages signed here


@pytest.mark.parametrize("legacy", [False, True], ids=["rsa-sha256", "rsa-sha1+sha1"])
def test_a_signed_package_is_signed_by_its_certificate_subject(
    key: rsa.RSAPrivateKey, cert: x509.Certificate, legacy: bool
) -> None:
    assert check_signature(_sign(key, cert, legacy=legacy)) == SignatureCheck(
        SignatureState.SIGNED, signer=SIGNER
    )


def test_a_package_signed_as_the_sdk_signs_is_signed(
    key: rsa.RSAPrivateKey, cert: x509.Certificate
) -> None:
    signed = _sign_like_the_sdk(key, cert)
    assert check_signature(signed).state is SignatureState.SIGNED
    assert check_signature(_tamper_subject(signed)).state is SignatureState.INVALID


def test_a_parsed_element_is_checked_and_left_untouched(
    key: rsa.RSAPrivateKey, cert: x509.Certificate
) -> None:
    root = etree.fromstring(_out_of_xmldsig(_sign(key, cert), undeclare=False))
    before = etree.tostring(root)
    assert check_signature(root).state is SignatureState.SIGNED
    assert etree.tostring(root) == before


@pytest.mark.parametrize("legacy", [False, True], ids=["rsa-sha256", "rsa-sha1+sha1"])
def test_one_changed_character_after_signing_makes_it_invalid(
    key: rsa.RSAPrivateKey, cert: x509.Certificate, legacy: bool
) -> None:
    check = check_signature(_tamper_subject(_sign(key, cert, legacy=legacy)))
    assert check.state is SignatureState.INVALID
    assert check.reason == "digest mismatch: the package was changed after signing"
    assert check.signer is None


def test_a_package_without_signature_is_unsigned(
    key: rsa.RSAPrivateKey, cert: x509.Certificate
) -> None:
    assert check_signature(_strip_signature(_sign(key, cert))) == SignatureCheck(
        SignatureState.UNSIGNED
    )


@pytest.mark.parametrize("undeclare", [False, True], ids=["edxml-namespace", "no-namespace"])
@pytest.mark.parametrize("sign", ["signxml-ds-prefix", "sdk-default-namespace"])
def test_a_signature_outside_the_xmldsig_namespace_still_verifies(
    key: rsa.RSAPrivateKey, cert: x509.Certificate, undeclare: bool, sign: str
) -> None:
    signed = _sign(key, cert) if sign == "signxml-ds-prefix" else _sign_like_the_sdk(key, cert)
    moved = _out_of_xmldsig(signed, undeclare=undeclare)
    signature = next(etree.fromstring(moved).iter("{*}Signature"))
    assert etree.QName(signature).namespace == (None if undeclare else EDXML)

    assert check_signature(moved) == SignatureCheck(SignatureState.SIGNED, signer=SIGNER)
    tampered = check_signature(_tamper_subject(moved))
    assert tampered.state is SignatureState.INVALID
    assert "digest" in (tampered.reason or "")
    assert check_signature(_strip_signature(moved)).state is SignatureState.UNSIGNED


def test_a_truncated_certificate_is_invalid(key: rsa.RSAPrivateKey, cert: x509.Certificate) -> None:
    check = check_signature(_truncate_certificate(_sign(key, cert, legacy=True)))
    assert check.state is SignatureState.INVALID
    assert (check.reason or "").startswith("unparsable certificate")


def test_a_certificate_of_another_key_is_invalid(
    key: rsa.RSAPrivateKey, cert: x509.Certificate
) -> None:
    signed = _sign(key, cert)
    other = base64.b64encode(_certificate(_key()).public_bytes(Encoding.DER))
    root = etree.fromstring(signed)
    element = next(root.iter(f"{{{DS}}}X509Certificate"))
    element.text = other.decode()
    check = check_signature(etree.tostring(root))
    assert check == SignatureCheck(SignatureState.INVALID, "signature value does not verify")


def test_the_signer_is_found_among_several_certificates(
    key: rsa.RSAPrivateKey, cert: x509.Certificate
) -> None:
    other = _certificate(_key(), "CN=Intermediate")
    signed = _sign(key, cert, chain=(other,))
    assert signed.count(b"<ds:X509Certificate>") == 2
    assert check_signature(signed) == SignatureCheck(SignatureState.SIGNED, signer=SIGNER)


def test_an_expired_certificate_still_verifies(key: rsa.RSAPrivateKey) -> None:
    # Validity periods are a trust question: an archived package stays what was signed.
    signed = _sign(key, _certificate(key, expired=True), legacy=True)
    assert check_signature(signed) == SignatureCheck(SignatureState.SIGNED, signer=SIGNER)


def test_an_attachment_past_libxml2s_default_text_limit_is_verified(
    key: rsa.RSAPrivateKey, cert: x509.Certificate
) -> None:
    # Scanned documents travel as base64 in one text node, past libxml2's 10 MB default (which
    # signxml's own parser keeps: its signer could not even read this package).
    attachment = base64.b64encode(os.urandom(8_000_000)).decode()
    signed = _sign_like_the_sdk(key, cert, attachment=attachment)
    assert check_signature(signed).state is SignatureState.SIGNED


def test_a_changed_signature_value_is_invalid(
    key: rsa.RSAPrivateKey, cert: x509.Certificate
) -> None:
    root = etree.fromstring(_sign(key, cert))
    value = next(root.iter(f"{{{DS}}}SignatureValue"))
    raw = bytearray(base64.b64decode(value.text or ""))
    raw[10] ^= 0x01
    value.text = base64.b64encode(bytes(raw)).decode()
    assert check_signature(etree.tostring(root)).reason == "signature value does not verify"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            lambda r: _set(r, "SignatureMethod", Algorithm="http://example.invalid/rsa-md2"),
            "unsupported algorithm: http://example.invalid/rsa-md2",
        ),
        (
            lambda r: _set(r, "SignatureMethod", Algorithm=f"{DS}hmac-sha1"),
            f"unsupported algorithm: {DS}hmac-sha1",
        ),
        (lambda r: _set(r, "Reference", URI="#elsewhere"), "URI='#elsewhere'"),
        (lambda r: _set(r, "SignatureValue", text=""), "malformed signature"),
        (lambda r: _set(r, "X509Data", drop=True), "no X509Certificate in KeyInfo/X509Data"),
        (lambda r: _set(r, "SignedInfo", drop=True), "SignedInfo"),
    ],
    ids=["unknown-algorithm", "hmac", "partial-reference", "empty-value", "no-cert", "no-info"],
)
def test_a_malformed_signature_is_invalid_not_an_exception(
    key: rsa.RSAPrivateKey,
    cert: x509.Certificate,
    change: Callable[[etree._Element], None],
    reason: str,
) -> None:
    root = etree.fromstring(_sign(key, cert))
    change(root)
    check = check_signature(etree.tostring(root))
    assert check.state is SignatureState.INVALID
    assert reason in (check.reason or "")
    assert "Traceback" not in (check.reason or "")
    assert "\n" not in (check.reason or "")


def _set(
    root: etree._Element, name: str, *, text: str | None = None, drop: bool = False, **attrs: str
) -> None:
    element = next(root.iter(f"{{{DS}}}{name}"))
    if drop:
        parent = element.getparent()
        assert parent is not None
        parent.remove(element)
        return
    if text is not None:
        element.text = text or None
    for attr, value in attrs.items():
        element.set(attr, value)


def test_two_signatures_are_invalid(key: rsa.RSAPrivateKey, cert: x509.Certificate) -> None:
    root = etree.fromstring(_sign(key, cert))
    signature = next(root.iter(f"{{{DS}}}Signature"))
    root.append(etree.fromstring(etree.tostring(signature)))
    check = check_signature(etree.tostring(root))
    assert check == SignatureCheck(
        SignatureState.INVALID, "2 signature elements; a package carries one"
    )


def test_a_short_stray_prefix_is_tolerated_and_a_long_one_is_not(
    key: rsa.RSAPrivateKey, cert: x509.Certificate
) -> None:
    signed = _sign(key, cert)
    assert check_signature(b"1212" + signed).state is SignatureState.SIGNED
    assert check_signature(b"\r\n  " + signed).state is SignatureState.SIGNED
    long_prefix = check_signature(b"x" * 40 + signed)
    assert long_prefix.state is SignatureState.INVALID
    assert (long_prefix.reason or "").startswith("not well-formed XML")


def test_not_xml_is_invalid() -> None:
    check = check_signature(b"\x00\x01 not xml at all, though it names a Signature")
    assert check.state is SignatureState.INVALID
    assert (check.reason or "").startswith("not well-formed XML")


def test_bytes_that_never_name_a_signature_are_unsigned_without_parsing() -> None:
    # The fast path for large packages: no "Signature" anywhere, so no signature element.
    assert check_signature(b"\x00\x01 not xml at all").state is SignatureState.UNSIGNED


def test_anything_but_bytes_or_an_element_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        check_signature("<edXML/>")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Trust hook


def test_trusted_certificates_pin_the_signer(
    key: rsa.RSAPrivateKey, cert: x509.Certificate
) -> None:
    signed = _sign(key, cert)
    stranger = _certificate(_key(), "CN=Someone else")
    assert (
        check_signature(signed, trusted_certificates=[stranger, cert]).state
        is SignatureState.SIGNED
    )
    assert check_signature(signed, trusted_certificates={cert}).signer == SIGNER
    for trusted in ([stranger], []):
        assert check_signature(signed, trusted_certificates=trusted) == SignatureCheck(
            SignatureState.INVALID, reason="untrusted certificate", signer=SIGNER
        )


def test_an_invalid_signature_stays_invalid_for_a_trusted_certificate(
    key: rsa.RSAPrivateKey, cert: x509.Certificate
) -> None:
    check = check_signature(_tamper_subject(_sign(key, cert)), trusted_certificates=[cert])
    assert check.state is SignatureState.INVALID
    assert (check.reason or "").startswith("digest mismatch")


# --------------------------------------------------------------------------------------------
# Hostile input: no file read, no network, bounded time


def _bounded(call: Callable[[], SignatureCheck], unblock: Callable[[], None]) -> SignatureCheck:
    """Run ``call`` in a thread; if it hangs (reading a FIFO or a socket), unblock it and fail."""
    result: list[SignatureCheck] = []
    thread = threading.Thread(target=lambda: result.append(call()), daemon=True)
    thread.start()
    thread.join(timeout=10)
    if thread.is_alive():
        unblock()
        thread.join(timeout=10)
        pytest.fail("check_signature blocked: it tried to read an external entity")
    return result[0]


def _doctype_packages(url: str) -> list[bytes]:
    body = f'<edXML xmlns="{EDXML}"><Subject>&x;</Subject></edXML>'
    return [
        f'<!DOCTYPE edXML [<!ENTITY x SYSTEM "{url}">]>{body}'.encode(),
        f'<!DOCTYPE edXML [<!ENTITY % p SYSTEM "{url}"> %p;]><edXML xmlns="{EDXML}"/>'.encode(),
        f'<!DOCTYPE edXML SYSTEM "{url}"><edXML xmlns="{EDXML}"/>'.encode(),
    ]


def test_an_external_entity_is_refused_and_never_read(tmp_path: Path) -> None:
    # A FIFO blocks whoever opens it for reading until a writer comes: any read would hang.
    fifo = tmp_path / "secret"
    os.mkfifo(fifo)

    def unblock() -> None:
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))

    for package in _doctype_packages(fifo.as_uri()):
        check = _bounded(partial(check_signature, package), unblock)
        assert check == SignatureCheck(SignatureState.INVALID, "DOCTYPE not allowed in a package")


def test_an_external_entity_is_never_fetched() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.setblocking(False)
        url = f"http://127.0.0.1:{server.getsockname()[1]}/secret"
        for package in _doctype_packages(url):
            check = _bounded(partial(check_signature, package), lambda: None)
            assert check.state is SignatureState.INVALID
        with pytest.raises(BlockingIOError):
            server.accept()  # nobody connected


def test_a_doctype_on_a_parsed_element_is_refused_too() -> None:
    root = etree.fromstring(f'<!DOCTYPE edXML><edXML xmlns="{EDXML}"/>'.encode())
    assert check_signature(root).reason == "DOCTYPE not allowed in a package"


def test_an_entity_bomb_is_refused_quickly() -> None:
    entities = "".join(f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">' for i in range(1, 12))
    bomb = f'<!DOCTYPE edXML [<!ENTITY e0 "boom">{entities}]><edXML>&e11;</edXML>'.encode()
    started = time.monotonic()
    assert check_signature(bomb).state is SignatureState.INVALID
    assert time.monotonic() - started < 2


# --------------------------------------------------------------------------------------------
# The Government Office SDK's sample packages


def _fixture_files() -> list[Path]:
    return sorted(FIXTURES.glob("*.edxml")) if FIXTURES.is_dir() else []


@pytest.mark.skipif(not FIXTURES.is_dir(), reason=f"SDK sample packages not found at {FIXTURES}")
def test_the_sdk_samples_are_all_there() -> None:
    names = {path.name for path in _fixture_files()}
    assert {"edoc.edxml", "edoc_new.edxml", "status.edxml"} <= names


@pytest.mark.skipif(not FIXTURES.is_dir(), reason=f"SDK sample packages not found at {FIXTURES}")
@pytest.mark.parametrize("path", _fixture_files(), ids=lambda path: path.name)
def test_sdk_sample(path: Path) -> None:
    check = check_signature(path.read_bytes())
    if path.name.startswith("edoc"):
        # Signed with a sample SignatureValue copied between files: edoc.edxml is not even
        # namespace-well-formed (undeclared xlink: and edXML: prefixes), the others carry a
        # certificate cut to 11 characters.
        assert check.state is SignatureState.INVALID
        assert check.signer is None
        expected = "not well-formed XML" if path.name == "edoc.edxml" else "unparsable certificate"
        assert (check.reason or "").startswith(expected)
    else:
        assert check == SignatureCheck(SignatureState.UNSIGNED)
