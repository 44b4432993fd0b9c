"""POST /v1/documents: real edXML packages through the gateway, format conversion, the status flow
back to the sender, revocation, large packages through the blob store, signatures."""

from __future__ import annotations

import asyncio
import base64
import io
import json
from typing import Any

import pytest

from lgsp.schemas import DocumentSend, DocumentStatus
from lgsp.schemas.edxml import (
    EdxmlDocument,
    Organization,
    document_from_json,
    parse,
    status_from_json,
    write,
)
from tests.schemas.edxml_samples import fixture
from tests.support import RECIPIENT, SENDER, Platform, PlatformFactory

XML = {"Content-Type": "application/xml"}
DOCUMENT_TYPES = [
    "document.send",
    "document.status",
    "document.revoke",
    "document.update",
    "document.replace",
]
G22, H14, G17 = "000.00.00.G22", "000.00.00.H14", "000.00.00.G17"


@pytest.fixture(params=["memory", pytest.param("rabbitmq", marks=pytest.mark.integration)])
async def platform(request: pytest.FixtureRequest, platform_factory: PlatformFactory) -> Platform:
    broker_url = request.getfixturevalue("rabbit_url") if request.param == "rabbitmq" else ""
    p = await platform_factory(
        bus=request.param,
        db_url=request.getfixturevalue("sqlite_url"),
        broker_url=broker_url,
        blob_threshold_bytes=64 * 1024,
    )
    for system_id, agency in (("vpcp", G22), ("caobang", H14), ("bo-tttt", G17)):
        await p.add_system(system_id, agency, may_send=DOCUMENT_TYPES)
    return p


async def post_xml(platform: Platform, system: str, data: bytes) -> tuple[int, dict[str, Any]]:
    response = await platform.client.post(
        "/v1/documents", data=io.BytesIO(data), headers={**platform.auth(system), **XML}
    )
    return response.status, await response.json()


@pytest.mark.parametrize(
    ("name", "caller", "message_type", "recipients"),
    [
        ("status.edxml", "qlvb-a", "document.status", [G22]),
        ("status_inbox_01.edxml", "qlvb-a", "document.status", [G22]),
        ("status_finish_06.edxml", "qlvb-a", "document.status", [G22]),
        ("status_change-rejection_16.edxml", "qlvb-a", "document.status", [G22]),
        ("edoc_replacement.edxml", "vpcp", "document.replace", [SENDER, H14, G17]),
        ("edoc_revocation.edxml", "vpcp", "document.revoke", [SENDER, H14, G17]),
    ],
)
async def test_sdk_packages_go_through(
    platform: Platform, name: str, caller: str, message_type: str, recipients: list[str]
) -> None:
    status, answer = await post_xml(platform, caller, fixture(name))
    assert status == 202, answer
    record = await platform.wait_status(answer["id"], "delivered")
    assert record.type == message_type
    assert list(record.recipients) == recipients
    assert record.content_type == "application/xml"
    # The fixtures' signatures are copies with a cut certificate; status packages have none.
    assert record.signature == ("unsigned" if name.startswith("status") else "invalid")


@pytest.mark.parametrize(
    ("name", "caller", "expected"),
    [
        # 28.22.H17 is no agency code; 2014/02/30 is no date.
        (
            "edoc_new.edxml",
            "qlvb-a",
            {("MessageHeader", "To", 0, "OrganId"), ("TraceHeaderList", "Bussiness", "DocumentId")},
        ),
        ("edoc_update.edxml", "vpcp", {("TraceHeaderList", "Bussiness", "DocumentId")}),
        # An empty ResponseFor template, a short 01.02.G22 and a placeholder for an attachment.
        (
            "edoc.edxml",
            "qlvb-a",
            {
                ("MessageHeader", "ResponseFor", "OrganId"),
                ("TraceHeaderList", "TraceHeader", 0, "OrganId"),
            },
        ),
    ],
)
async def test_sdk_packages_refused_precisely(
    platform: Platform, name: str, caller: str, expected: set[tuple[Any, ...]]
) -> None:
    status, problem = await post_xml(platform, caller, fixture(name))
    assert status == 422, problem
    assert problem["status"] == 422
    assert expected <= {tuple(e["loc"]) for e in problem["errors"]}


def json_document(**overrides: Any) -> dict[str, Any]:
    return {
        "code": {"number": "215", "notation": "UBND-VX"},
        "promulgation": {"place": "Nghệ An", "date": "2026-11-20"},
        "subject": "V/v báo cáo số liệu văn bản điện tử",
        "attachments": [
            {
                "content_id": "cid:1",
                "name": "bao-cao.pdf",
                "content_type": "application/pdf",
                "data": base64.b64encode(b"%PDF-1.4 demo").decode(),
            }
        ],
        **overrides,
    }


async def test_json_document_reaches_an_edxml_system_as_edxml(platform: Platform) -> None:
    await platform.add_system("qlvb-x", "000.00.20.H41", format="edxml")
    response = await platform.client.post(
        "/v1/messages",
        headers=platform.auth("qlvb-a"),
        json={"type": "document.send", "recipients": ["000.00.20.H41"], "body": json_document()},
    )
    assert response.status == 202
    await platform.receiver.wait_for(1)
    system, headers, body = platform.receiver.calls[0]
    assert system == "qlvb-x"
    assert headers["Content-Type"] == "application/xml"
    package = parse(body)
    assert isinstance(package, EdxmlDocument)
    assert package.from_.organ_id == SENDER
    assert [o.organ_id for o in package.to] == ["000.00.20.H41"]
    assert package.subject == json_document()["subject"]
    assert base64.b64decode(package.attachments[0].data) == b"%PDF-1.4 demo"


async def test_edxml_document_reaches_a_json_system_as_json(platform: Platform) -> None:
    body = DocumentSend.model_validate(json_document())
    package = document_from_json(
        body,
        sender=Organization(organ_id=SENDER, organ_name="UBND tỉnh Nghệ An"),
        recipients=[Organization(organ_id=RECIPIENT)],
    )
    status, answer = await post_xml(platform, "qlvb-a", write(package))
    assert status == 202, answer
    await platform.receiver.wait_for(1)
    system, headers, raw = platform.receiver.calls[0]
    assert system == "qlvb-b"
    assert headers["Content-Type"] == "application/json"
    envelope = json.loads(raw)
    assert envelope["id"] == answer["id"]
    assert envelope["sender"] == SENDER
    assert envelope["body"]["subject"] == body.subject
    assert envelope["body"]["attachments"][0]["name"] == "bao-cao.pdf"


async def test_statuses_flow_back_to_the_sender_and_onto_the_document(platform: Platform) -> None:
    await platform.add_system("qlvb-x", "000.00.20.H41", format="edxml", may_send=DOCUMENT_TYPES)
    sent = await platform.client.post(
        "/v1/messages",
        headers=platform.auth("qlvb-a"),
        json={
            "type": "document.send",
            "recipients": [RECIPIENT, "000.00.20.H41"],
            "body": json_document(),
        },
    )
    document = (await sent.json())["id"]
    await platform.wait_status(document, "delivered")
    response_for = {
        "organ_id": SENDER,
        "code": "215/UBND-VX",
        "promulgation_date": "2026-11-20",
        "document_id": f"{SENDER},2026/11/20,215/UBND-VX",
    }
    staff = {"department": "Văn thư", "staff": "Trần Thị Bình"}
    for code in ("01", "03", "05", "06"):
        # qlvb-b reports in JSON, qlvb-x in edXML.
        status = {
            "response_for": response_for,
            "status_code": code,
            "staff": staff,
            "timestamp": f"2026-11-21T0{int(code[1])}:00:00+07:00",
        }
        answer = await platform.client.post(
            "/v1/messages",
            headers=platform.auth("qlvb-b"),
            json={"type": "document.status", "recipients": [SENDER], "body": status},
        )
        assert answer.status == 202
        package = status_from_json(
            DocumentStatus.model_validate(status), sender=Organization(organ_id="000.00.20.H41")
        )
        code_back, problem = await post_xml(platform, "qlvb-x", write(package))
        assert code_back == 202, problem
    record = await platform.wait_status(document, "done")
    for recipient in (RECIPIENT, "000.00.20.H41"):
        seen = [e.status for e in record.events if e.recipient == recipient and e.status[0] == "0"]
        assert seen == ["01", "03", "05", "06"]
    first = next(e for e in record.events if e.status == "01")
    assert first.detail is not None
    assert first.detail["staff"]["staff"] == "Trần Thị Bình"
    assert first.detail["name"] == "arrived"
    view = await (
        await platform.client.get(f"/v1/messages/{document}", headers=platform.auth("qlvb-a"))
    ).json()
    assert view["status"] == "done"
    # Every status also reached the sender's own system.
    await platform.receiver.wait_for(2 + 8)
    to_sender = [c for c in platform.receiver.calls if c[0] == "qlvb-a"]
    assert len(to_sender) == 8
    assert all(json.loads(c[2])["type"] == "document.status" for c in to_sender)


async def test_a_status_from_a_stranger_does_not_touch_the_document(platform: Platform) -> None:
    sent = await platform.client.post(
        "/v1/messages",
        headers=platform.auth("qlvb-a"),
        json={"type": "document.send", "recipients": [RECIPIENT], "body": json_document()},
    )
    document = (await sent.json())["id"]
    await platform.wait_status(document, "delivered")
    status = {
        "response_for": {
            "organ_id": SENDER,
            "code": "215/UBND-VX",
            "promulgation_date": "2026-11-20",
            "document_id": f"{SENDER},2026/11/20,215/UBND-VX",
        },
        "status_code": "06",
        "timestamp": "2026-11-21T08:00:00+07:00",
    }
    answer = await platform.client.post(
        "/v1/messages",
        headers=platform.auth("qlvb-c"),
        json={"type": "document.status", "recipients": [SENDER], "body": status},
    )
    assert answer.status == 202
    await platform.wait_status((await answer.json())["id"], "delivered")
    await asyncio.sleep(0.2)
    record = await platform.services.journal.get(document)
    assert record is not None
    assert record.status == "delivered"
    assert not [e for e in record.events if e.status == "06"]


async def test_revoking_a_document_marks_it_revoked(platform: Platform) -> None:
    sent = await platform.client.post(
        "/v1/messages",
        headers=platform.auth("qlvb-a"),
        json={"type": "document.send", "recipients": [RECIPIENT], "body": json_document()},
    )
    document = (await sent.json())["id"]
    await platform.wait_status(document, "delivered")
    await platform.add_system("qlvb-a2", SENDER, may_send=DOCUMENT_TYPES)
    revoke = json_document(business={"doc_type": 1, "reason": "Thu hồi văn bản điện tử"})
    answer = await platform.client.post(
        "/v1/messages",
        headers=platform.auth("qlvb-a2"),
        json={"type": "document.revoke", "recipients": [RECIPIENT], "body": revoke},
    )
    assert answer.status == 202, await answer.text()
    record = await platform.wait_status(document, "revoked")
    assert any(e.status == "revoked" for e in record.events)


async def test_a_large_package_travels_by_reference_and_arrives_whole(platform: Platform) -> None:
    await platform.add_system("qlvb-x", "000.00.20.H41", format="edxml")
    scan = bytes(range(256)) * 4096  # 1 MiB
    body = DocumentSend.model_validate(
        json_document(
            attachments=[
                {
                    "content_id": "cid:9",
                    "name": "scan.pdf",
                    "content_type": "application/pdf",
                    "data": base64.b64encode(scan).decode(),
                }
            ]
        )
    )
    data = write(
        document_from_json(
            body,
            sender=Organization(organ_id=SENDER),
            recipients=[Organization(organ_id="000.00.20.H41"), Organization(organ_id=RECIPIENT)],
        )
    )
    status, answer = await post_xml(platform, "qlvb-a", data)
    assert status == 202, answer
    record = await platform.wait_status(answer["id"], "delivered")
    assert record.payload_ref is not None
    assert record.payload_ref.startswith("sha256:")
    assert await platform.services.journal.payload(answer["id"]) == b""
    calls = {c[0]: c for c in platform.receiver.calls}
    assert calls["qlvb-x"][2] == data  # the edXML system gets the very bytes sent
    as_json = json.loads(calls["qlvb-b"][2])
    assert base64.b64decode(as_json["body"]["attachments"][0]["data"]) == scan


async def test_sender_may_only_send_as_itself(platform: Platform) -> None:
    status, problem = await post_xml(platform, "qlvb-b", fixture("status.edxml"))  # From H41
    assert status == 403
    assert "From/OrganId" in problem["detail"]


async def test_wrong_content_type_for_documents(platform: Platform) -> None:
    response = await platform.client.post(
        "/v1/documents",
        data=fixture("status.edxml"),
        headers={**platform.auth("qlvb-a"), "Content-Type": "application/json"},
    )
    assert response.status == 415


async def test_hostile_xml_is_refused(platform: Platform) -> None:
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b'<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">&e;</edXML>'
    )
    status, problem = await post_xml(platform, "qlvb-a", xxe)
    assert status == 400
    assert "root:" not in json.dumps(problem)
    status, _ = await post_xml(platform, "qlvb-a", b"<edXML")
    assert status == 400


async def test_signature_policy_refuse(platform_factory: PlatformFactory, sqlite_url: str) -> None:
    strict = await platform_factory(bus="memory", db_url=sqlite_url, invalid_signature="refuse")
    await strict.add_system("vpcp", G22, may_send=DOCUMENT_TYPES)
    status, problem = await post_xml(strict, "vpcp", fixture("edoc_replacement.edxml"))
    assert status == 422
    assert [e["loc"] for e in problem["errors"]] == [["Signature"]]
    status, _ = await post_xml(strict, "qlvb-a", fixture("status.edxml"))
    assert status == 202  # unsigned is not invalid


async def test_document_over_the_size_limit(
    platform_factory: PlatformFactory, sqlite_url: str
) -> None:
    small = await platform_factory(bus="memory", db_url=sqlite_url, max_document_bytes=64 * 1024)
    status, problem = await post_xml(small, "qlvb-a", b"<edXML>" + b" " * (70 * 1024))
    assert status == 413
    assert problem["errors"][0]["loc"] == ["body"]


async def test_a_200_mb_body_is_refused_before_it_is_read(platform: Platform) -> None:
    # Announce 200 MB, send almost nothing: the answer must not wait for the body.
    url = platform.client.make_url("/v1/documents")
    reader, writer = await asyncio.open_connection(url.host, url.port)
    head = (
        f"POST /v1/documents HTTP/1.1\r\nHost: {url.host}\r\n"
        f"Authorization: Bearer {platform.keys['qlvb-a']}\r\n"
        "Content-Type: application/xml\r\nContent-Length: 209715200\r\n\r\n<edXML>"
    )
    writer.write(head.encode())
    await writer.drain()
    async with asyncio.timeout(10):
        status_line = await reader.readline()
    writer.close()
    assert b" 413 " in status_line


async def test_a_package_of_unknown_length_is_streamed_and_bounded(
    platform_factory: PlatformFactory, sqlite_url: str
) -> None:
    small = await platform_factory(
        bus="memory",
        db_url=sqlite_url,
        max_document_bytes=256 * 1024,
        blob_threshold_bytes=1024,
    )

    async def chunks(data: bytes) -> Any:
        for start in range(0, len(data), 4096):
            yield data[start : start + 4096]

    body = DocumentSend.model_validate(json_document())
    data = write(
        document_from_json(
            body,
            sender=Organization(organ_id=SENDER),
            recipients=[Organization(organ_id=RECIPIENT)],
        )
    )
    response = await small.client.post(
        "/v1/documents", data=chunks(data), headers={**small.auth("qlvb-a"), **XML}
    )
    assert response.status == 202, await response.text()
    record = await small.wait_status((await response.json())["id"], "delivered")
    assert record.payload_ref is not None
    too_big = data.replace(b"</edXML:Subject>", b"</edXML:Subject>" + b" " * 300_000)
    response = await small.client.post(
        "/v1/documents", data=chunks(too_big), headers={**small.auth("qlvb-a"), **XML}
    )
    assert response.status == 413
