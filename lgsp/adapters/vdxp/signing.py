"""How the national document axis (VDXP) signs a call, as its Java SDK 2.0.1 puts it on the wire.

Every parameter of a call travels in an ``XroadVnpt-*`` header. The caller lists the names it
signs in ``XroadVnpt-sign-header-key`` (joined by ``;``), copies exactly those headers, with their
``XroadVnpt-`` names and values, into a JSON object sent as ``XroadVnpt-sign-header``, and sends
the lower-case hex HMAC-SHA256 of that JSON text, keyed with the system's secret taken as UTF-8
bytes (never base64-decoded, even when it looks like base64), as ``XroadVnpt-hash-header``.
``sendEdoc`` also signs ``XroadVnpt-hash-file``: the SHA-256 of the package written byte by byte
in hex *without zero padding* (``05`` is written ``5``), so often shorter than 64 characters.

The timestamp is Java's ``SimpleDateFormat("ddMMyyyy'T'HHmmss+SSSS")`` in the JVM's zone
(Vietnam, UTC+7): the ``+`` is a literal, not a zone offset, and ``SSSS`` is the millisecond of
the second zero-padded to four digits, so it always starts with ``0``: ``23112026T181806+0660`` is
23 Nov 2026, 18:18:06.660. A verifier accepts any four digits there (some integrators print the
last four digits of the epoch milliseconds instead).

Not for: sending calls (``lgsp.adapters.vdxp.client``) or the XML-DSig signature inside an edXML
package (that belongs to the edXML codec).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Literal

__all__ = [
    "HEADER_PREFIX",
    "SDK_VERSION",
    "SIGNED_ORDER",
    "USER_AGENT",
    "VIETNAM",
    "SignatureProblem",
    "format_timestamp",
    "hash_file",
    "hmac_hex",
    "signed_headers",
    "verify_signed_headers",
]

HEADER_PREFIX = "XroadVnpt-"
SDK_VERSION = "3.0.201608"
USER_AGENT = "JAVASDKAgent/1.0.0 XRoad/VPCP"
VIETNAM = timezone(timedelta(hours=7), "ICT")

# The order the SDK lists signed names in (``systemid;servicetype;messagetype;hash-file;from;
# timestamp;Content-Type`` for sendEdoc); names a call does not carry are left out.
SIGNED_ORDER = (
    "systemid",
    "servicetype",
    "messagetype",
    "hash-file",
    "from",
    "docId",
    "status",
    "filePath",
    "timestamp",
    "Content-Type",
)

_TIMESTAMP = re.compile(r"\d{8}T\d{6}\+\d{4}")


def _hex_unpadded(digest: bytes) -> str:
    return "".join(format(byte, "x") for byte in digest)


def hash_file(data: bytes) -> str:
    """SHA-256 of ``data`` as the SDK writes it: lower-case hex, no zero padding per byte."""
    return _hex_unpadded(hashlib.sha256(data).digest())


def hmac_hex(secret: str, text: str) -> str:
    """Lower-case hex HMAC-SHA256 of ``text`` keyed with ``secret`` as UTF-8 bytes."""
    return hmac.new(secret.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).hexdigest()


def format_timestamp(moment: datetime | None = None) -> str:
    """``ddMMyyyy'T'HHmmss+SSSS`` in Vietnam time; ``SSSS`` = milliseconds, four digits."""
    at = (moment or datetime.now(VIETNAM)).astimezone(VIETNAM)
    return f"{at:%d%m%Y}T{at:%H%M%S}+{at.microsecond // 1000:04d}"


def signed_headers(
    *,
    system_id: str,
    secret: str,
    content_type: str,
    service_type: str | None = None,
    message_type: str | None = None,
    sender: str | None = None,
    doc_id: str | None = None,
    status: str | None = None,
    file_path: str | None = None,
    body: bytes | None = None,
    timestamp: str | None = None,
) -> dict[str, str]:
    """Every header of one call, signed. ``body`` given (sendEdoc) adds and signs ``hash-file``.

    ``doc_id`` goes out twice, as ``XroadVnpt-docId`` and ``XroadVnpt-docid``, as the SDK sends
    it; only ``docId`` is signed.
    """
    params: dict[str, str | None] = {
        "systemid": system_id,
        "servicetype": service_type,
        "messagetype": message_type,
        "hash-file": hash_file(body) if body is not None else None,
        "from": sender,
        "docId": doc_id,
        "status": status,
        "filePath": file_path,
        "timestamp": timestamp or format_timestamp(),
        "Content-Type": content_type,
    }
    names = [name for name in SIGNED_ORDER if params[name] is not None]
    signed = {HEADER_PREFIX + name: str(params[name]) for name in names}
    sign_header = json.dumps(signed, separators=(",", ":"))
    headers = dict(signed)
    if doc_id is not None:
        headers[HEADER_PREFIX + "docid"] = doc_id
    headers.update(
        {
            HEADER_PREFIX + "version": SDK_VERSION,
            HEADER_PREFIX + "sign-header-key": ";".join(names),
            HEADER_PREFIX + "sign-header": sign_header,
            HEADER_PREFIX + "hash-header": hmac_hex(secret, sign_header),
            "User-Agent": USER_AGENT,
            "Content-Type": content_type,
        }
    )
    return headers


ProblemKind = Literal["missing_header", "bad_signature", "hash_mismatch"]


@dataclass(frozen=True, slots=True)
class SignatureProblem:
    """Why a call's signature is refused; ``kind`` picks the axis's error code."""

    kind: ProblemKind
    detail: str

    def __str__(self) -> str:
        return self.detail


def _first_values(headers: Mapping[str, str]) -> dict[str, str]:
    # Header names are case-insensitive and the SDK repeats docId as docid: keep the first.
    first: dict[str, str] = {}
    for name, value in headers.items():
        first.setdefault(name.lower(), value)
    return first


def _same_hex(given: str, digest: bytes) -> bool:
    given = given.strip().lower()
    return any(hmac.compare_digest(given, form) for form in (_hex_unpadded(digest), digest.hex()))


def verify_signed_headers(
    headers: Mapping[str, str],
    secret: str,
    body: bytes | None = None,
    *,
    required: tuple[str, ...] = ("systemid", "timestamp"),
) -> SignatureProblem | None:
    """What the axis (and a faithful peer) checks; ``None`` when the call is properly signed.

    The signed JSON must name exactly the headers in ``sign-header-key``, each with the value the
    call carries; the HMAC is recomputed over the JSON text as received (its spelling is the
    signer's). ``required`` names must be signed. With ``body`` (sendEdoc), ``hash-file`` must be
    signed and match the body, in the SDK's unpadded form or the ordinary 64-digit one; the HMAC
    is accepted in either form too, as a peer may print it with the same byte-by-byte loop.
    Aiohttp's multi-dict passes as it is; from httpx pass ``dict(headers.multi_items())``.
    """
    given = _first_values(headers)
    must_sign = (*required, "hash-file") if body is not None else required
    wanted = ("sign-header-key", "sign-header", "hash-header", *must_sign)
    absent = [HEADER_PREFIX + n for n in wanted if not given.get((HEADER_PREFIX + n).lower())]
    if absent:
        return SignatureProblem("missing_header", f"missing header(s): {', '.join(absent)}")
    key = given[(HEADER_PREFIX + "sign-header-key").lower()]
    names = [name.strip() for name in key.split(";") if name.strip()]
    unsigned = [name for name in must_sign if name not in names]
    if unsigned:
        return SignatureProblem("bad_signature", f"not signed: {', '.join(unsigned)}")
    timestamp = given[(HEADER_PREFIX + "timestamp").lower()]
    if not _TIMESTAMP.fullmatch(timestamp):
        return SignatureProblem(
            "missing_header", f"{HEADER_PREFIX}timestamp {timestamp!r} is not ddMMyyyyTHHmmss+SSSS"
        )
    sign_header = given[(HEADER_PREFIX + "sign-header").lower()]
    try:
        signed = json.loads(sign_header)
    except ValueError:
        return SignatureProblem("bad_signature", f"{HEADER_PREFIX}sign-header is not JSON")
    expected_keys = {HEADER_PREFIX + name for name in names}
    if not isinstance(signed, dict) or set(signed) != expected_keys:
        return SignatureProblem(
            "bad_signature", f"{HEADER_PREFIX}sign-header does not list exactly: {key}"
        )
    for name, value in signed.items():
        if given.get(name.lower()) != value:
            return SignatureProblem("bad_signature", f"{name} differs from its signed value")
    mac = hmac.new(secret.encode("utf-8"), sign_header.encode("utf-8"), hashlib.sha256)
    if not _same_hex(given[(HEADER_PREFIX + "hash-header").lower()], mac.digest()):
        return SignatureProblem("bad_signature", f"{HEADER_PREFIX}hash-header does not match")
    hash_given = given.get((HEADER_PREFIX + "hash-file").lower(), "")
    if body is not None and not _same_hex(hash_given, hashlib.sha256(body).digest()):
        return SignatureProblem("hash_mismatch", f"{HEADER_PREFIX}hash-file does not match")
    return None
