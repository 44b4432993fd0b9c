"""The VDXP wire signing (as the Java SDK 2.0.1 sends it) and the client against MockTransport."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import httpx
import pytest

from lgsp.adapters.vdxp import (
    VdxpClient,
    VdxpRefused,
    VdxpTryLater,
    format_timestamp,
    hash_file,
    signed_headers,
    verify_signed_headers,
)
from lgsp.adapters.vdxp.signing import VIETNAM
from lgsp.errors import DeliveryError, PermanentDeliveryError, TransientDeliveryError

# Looks like base64 on purpose: the SDK keys the HMAC with these characters, never decoded.
SECRET = "c2VjcmV0LWtleS1mb3ItdGVzdHM+/w=="
BASE = "http://vdxp.test/XrdAdapter"


# --------------------------------------------------------------------------------------------
# hash-file, timestamp, signed headers
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        # sha256(b"49") = 0e17daca...0da4...06 55...: bytes 0e, 0d, 06 lose their leading zero
        (b"49", "e17daca5f3e175f448bacace3bcda47d655a74c8dd0dc497a3afbdad95f1f"),
        # sha256(b"51") = 03 1b ... 0a ... 00 ... : 0x00 is written "0", 60 characters in all
        (b"51", "31b4af5197ec3a926f48cf40e11a7dbc47048a21e403b7a3c07c5dab1baa"),
        # no byte below 0x10: the ordinary 64 digits
        (b"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    ],
)
def test_hash_file_is_sha256_hex_without_zero_padding(data: bytes, expected: str) -> None:
    assert hash_file(data) == expected


def test_hash_file_differs_from_hexdigest_when_a_byte_is_small() -> None:
    digest = hashlib.sha256(b"51").digest()
    assert min(digest) == 0
    assert hashlib.sha256(b"51").hexdigest().startswith("031b")
    assert hash_file(b"51").startswith("31b")
    assert len(hash_file(b"51")) == 60


def test_timestamp_is_ddmmyyyy_t_hhmmss_plus_four_digit_milliseconds() -> None:
    at = datetime(2026, 11, 23, 18, 18, 6, 660_123, tzinfo=VIETNAM)
    assert format_timestamp(at) == "23112026T181806+0660"
    # Printed in Vietnam time whatever the zone given.
    assert format_timestamp(datetime(2026, 11, 23, 11, 18, 6, 5_000, tzinfo=UTC)) == (
        "23112026T181806+0005"
    )


def test_send_headers_are_signed_like_the_sdk() -> None:
    body = b"<edXML/>"
    headers = signed_headers(
        system_id="lgsp.h41",
        secret=SECRET,
        content_type="application/octet-stream",
        service_type="eDoc",
        message_type="edoc",
        sender="000.00.00.H41",
        body=body,
        timestamp="23112026T181806+0660",
    )
    key = "systemid;servicetype;messagetype;hash-file;from;timestamp;Content-Type"
    assert headers["XroadVnpt-sign-header-key"] == key
    assert headers["XroadVnpt-systemid"] == "lgsp.h41"
    assert headers["XroadVnpt-servicetype"] == "eDoc"
    assert headers["XroadVnpt-messagetype"] == "edoc"
    assert headers["XroadVnpt-from"] == "000.00.00.H41"
    assert headers["XroadVnpt-timestamp"] == "23112026T181806+0660"
    assert headers["XroadVnpt-Content-Type"] == "application/octet-stream"
    assert headers["XroadVnpt-version"] == "3.0.201608"
    assert headers["User-Agent"] == "JAVASDKAgent/1.0.0 XRoad/VPCP"
    expected_hash = "".join(format(b, "x") for b in hashlib.sha256(body).digest())
    assert headers["XroadVnpt-hash-file"] == expected_hash

    text = headers["XroadVnpt-sign-header"]
    signed = json.loads(text)
    assert list(signed) == [f"XroadVnpt-{name}" for name in key.split(";")]
    assert all(headers[name] == value for name, value in signed.items())
    mac = hmac.new(SECRET.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).hexdigest()
    assert headers["XroadVnpt-hash-header"] == mac
    # The secret is not base64-decoded: keyed that way, the HMAC would differ.
    decoded = hmac.new(base64.b64decode(SECRET), text.encode(), hashlib.sha256).hexdigest()
    assert headers["XroadVnpt-hash-header"] != decoded


def test_doc_id_goes_out_twice_and_is_signed_once() -> None:
    headers = signed_headers(
        system_id="s", secret=SECRET, content_type="application/json", doc_id="d1", status="done"
    )
    assert headers["XroadVnpt-docId"] == headers["XroadVnpt-docid"] == "d1"
    assert headers["XroadVnpt-sign-header-key"] == "systemid;docId;status;timestamp;Content-Type"
    assert "XroadVnpt-hash-file" not in headers


def sent_headers(body: bytes = b"<edXML/>", **changes: str) -> dict[str, str]:
    headers = signed_headers(
        system_id="lgsp.h41",
        secret=SECRET,
        content_type="application/octet-stream",
        service_type="eDoc",
        message_type="edoc",
        sender="000.00.00.H41",
        body=body,
    )
    headers.update(changes)
    return headers


def test_verify_accepts_a_properly_signed_call() -> None:
    assert verify_signed_headers(sent_headers(), SECRET, b"<edXML/>") is None


def test_verify_accepts_the_padded_hash_file_too() -> None:
    body = b"51"
    padded = hashlib.sha256(body).hexdigest()
    headers = signed_headers(
        system_id="s",
        secret=SECRET,
        content_type="application/octet-stream",
        body=body,
    )
    # Re-sign with the padded hash, as a peer printing the usual 64 digits would.
    signed = json.loads(headers["XroadVnpt-sign-header"])
    signed["XroadVnpt-hash-file"] = padded
    text = json.dumps(signed)
    headers.update(
        {
            "XroadVnpt-hash-file": padded,
            "XroadVnpt-sign-header": text,
            "XroadVnpt-hash-header": hmac.new(SECRET.encode(), text.encode(), "sha256").hexdigest(),
        }
    )
    assert verify_signed_headers(headers, SECRET, body) is None


@pytest.mark.parametrize(
    ("mutate", "kind"),
    [
        (lambda h: h.update({"XroadVnpt-from": "000.00.00.H14"}), "bad_signature"),
        (lambda h: h.update({"XroadVnpt-hash-header": "0" * 64}), "bad_signature"),
        (lambda h: h.update({"XroadVnpt-sign-header": "{}"}), "bad_signature"),
        (lambda h: h.update({"XroadVnpt-sign-header-key": "systemid;timestamp"}), "bad_signature"),
        (lambda h: h.pop("XroadVnpt-hash-header"), "missing_header"),
        (lambda h: h.pop("XroadVnpt-timestamp"), "missing_header"),
        (lambda h: h.update({"XroadVnpt-timestamp": "2026-11-23T18:18:06"}), "missing_header"),
    ],
)
def test_verify_refuses_tampered_calls(
    mutate: Callable[[dict[str, str]], object], kind: str
) -> None:
    headers = sent_headers()
    mutate(headers)
    problem = verify_signed_headers(headers, SECRET, b"<edXML/>")
    assert problem is not None
    assert problem.kind == kind


def test_verify_refuses_another_secret_and_another_body() -> None:
    wrong_key = verify_signed_headers(sent_headers(), "other", b"<edXML/>")
    assert wrong_key is not None
    assert wrong_key.kind == "bad_signature"
    other_body = verify_signed_headers(sent_headers(), SECRET, b"<edXML>changed</edXML>")
    assert other_body is not None
    assert other_body.kind == "hash_mismatch"


# --------------------------------------------------------------------------------------------
# The client against MockTransport
# --------------------------------------------------------------------------------------------

Handler = Callable[[httpx.Request], httpx.Response]


def ok(**fields: object) -> httpx.Response:
    return httpx.Response(
        200, json={"status": "OK", "ErrorCode": "0", "ErrorDesc": "", "data": None, **fields}
    )


def fail(code: str) -> httpx.Response:
    return httpx.Response(
        200, json={"status": "FAIL", "ErrorCode": code, "ErrorDesc": "refused", "data": None}
    )


@asynccontextmanager
async def make_client(handler: Handler) -> AsyncIterator[VdxpClient]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        yield VdxpClient(http, BASE + "/", system_id="lgsp.h41", secret=SECRET, timeout=2)


async def test_send_edoc_posts_the_raw_package_with_signed_headers() -> None:
    seen: list[httpx.Request] = []
    package = b'<?xml version="1.0"?><edXML/>'

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return ok(DocId="doc-1")

    async with make_client(handle) as client:
        doc_id = await client.send_edoc(package, sender="000.00.00.H41", service_type="status")
        assert doc_id == "doc-1"
        request = seen[0]
        assert request.method == "POST"
        assert str(request.url) == f"{BASE}/sendEdoc"
        assert request.content == package
        assert request.headers["Content-Type"] == "application/octet-stream"
        assert request.headers["XroadVnpt-servicetype"] == "status"
        assert request.headers["XroadVnpt-messagetype"] == "status"
        headers = dict(request.headers.multi_items())
        assert verify_signed_headers(headers, SECRET, package) is None


async def test_other_calls_post_an_empty_json_object() -> None:
    seen: list[httpx.Request] = []
    package = b"<edXML>\xc3\xa2</edXML>"

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        operation = request.url.path.rsplit("/", 1)[-1]
        if operation == "getEdoc":
            return ok(data=base64.b64encode(package).decode(), DocId="d1")
        if operation == "getReceivedEdocList":
            item = {
                "id": "d1",
                "fromCode": "000.00.00.G22",
                "toCode": "000.00.00.H41,000.00.12.H41",
                "serviceType": "eDoc",
                "messageType": "edoc",
                "createdTime": "2026-11-23T18:18:06+07:00",
                "status": "pending",
            }
            return ok(data=[item])
        if operation == "getAgenciesList":
            return ok(data=[{"id": "1", "code": "000.00.00.H41", "name": "UBND", "pcode": ""}])
        if operation == "countReceiveEdoc":
            return ok(data=3)
        return ok(DocId="d1")

    async with make_client(handle) as client:
        assert await client.get_edoc("d1") == package
        [entry] = await client.received("eDoc")
        assert entry.doc_id == "d1"
        assert entry.sender == "000.00.00.G22"
        assert entry.recipients == ("000.00.00.H41", "000.00.12.H41")
        assert entry.created == datetime(2026, 11, 23, 18, 18, 6, tzinfo=VIETNAM)
        await client.update_status("d1", "done")
        [agency] = await client.agencies()
        assert agency.code == "000.00.00.H41"
        assert await client.count_received() == 3

        posts = [r for r in seen if r.method == "POST"]
        assert all(r.content == b"{}" for r in posts)
        assert all(r.headers["Content-Type"] == "application/json" for r in posts)
        assert [r.method for r in seen if r.url.path.endswith("countReceiveEdoc")] == ["GET"]
        update = next(r for r in seen if r.url.path.endswith("updateStatus"))
        assert update.headers["XroadVnpt-status"] == "done"
        assert dict(update.headers.multi_items())["xroadvnpt-docid"] == "d1"
        assert all(
            verify_signed_headers(dict(r.headers.multi_items()), SECRET) is None for r in seen
        )


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (lambda: httpx.Response(500, text="boom"), VdxpTryLater),
        (lambda: httpx.Response(503, text="down"), VdxpTryLater),
        (lambda: httpx.Response(429, text="slow down"), VdxpTryLater),
        (lambda: httpx.Response(200, text="<html>proxy error</html>"), VdxpTryLater),
        (lambda: fail("999"), VdxpTryLater),
        (lambda: fail("42"), VdxpTryLater),
        (lambda: httpx.Response(400, text="bad"), VdxpRefused),
        (lambda: httpx.Response(404, text="no such operation"), VdxpRefused),
        (lambda: fail("101"), VdxpRefused),
        (lambda: fail("102"), VdxpRefused),
        (lambda: fail("103"), VdxpRefused),
        (lambda: fail("104"), VdxpRefused),
    ],
)
async def test_answers_are_classified(
    answer: Callable[[], httpx.Response], error: type[DeliveryError]
) -> None:
    async with make_client(lambda request: answer()) as client:
        with pytest.raises(error) as caught:
            await client.send_edoc(b"<edXML/>", sender="000.00.00.H41", service_type="eDoc")
        assert caught.value.target == f"{BASE}/sendEdoc"
        expected_base = TransientDeliveryError if error is VdxpTryLater else PermanentDeliveryError
        assert isinstance(caught.value, expected_base)
        assert SECRET not in str(caught.value)


async def test_fail_answers_carry_their_error_code() -> None:
    async with make_client(lambda request: fail("103")) as client:
        with pytest.raises(VdxpRefused) as caught:
            await client.received("eDoc")
        assert caught.value.error_code == "103"
        assert caught.value.target == f"{BASE}/getReceivedEdocList"


@pytest.mark.parametrize(
    "exc",
    [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("x")],
)
async def test_transport_errors_are_transient(exc: httpx.HTTPError) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        raise exc

    async with make_client(handle) as client:
        with pytest.raises(TransientDeliveryError) as caught:
            await client.get_edoc("d1")
        assert caught.value.target == f"{BASE}/getEdoc"


async def test_the_secret_is_not_shown() -> None:
    async with make_client(lambda request: ok()) as client:
        assert SECRET not in repr(client)
