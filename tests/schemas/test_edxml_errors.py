"""Where a refused package is wrong: every error, at the element that holds it."""

from __future__ import annotations

import base64
import datetime as dt

import pytest

from lgsp.schemas.document import Attachment, Priority
from lgsp.schemas.edxml import (
    EdxmlDocument,
    EdxmlInvalid,
    EdxmlStatus,
    StatusLayout,
    iter_attachment_bytes,
    parse,
    write,
)
from tests.schemas.edxml_samples import NS, SMALL, locs, small

H = "MessageHeader"


def refused(data: bytes) -> EdxmlInvalid:
    with pytest.raises(EdxmlInvalid) as caught:
        parse(data)
    assert not caught.value.malformed
    return caught.value


def test_the_small_sample_parses() -> None:
    document = parse(small())
    assert isinstance(document, EdxmlDocument)
    assert document.other is not None
    assert document.other.priority is Priority.URGENT
    assert document.attachments[0].data == "JVBERi0xLjQK"
    assert parse(write(document)) == document


def test_every_error_of_a_package_is_reported_at_its_element() -> None:
    data = small(
        ("<edXML:OrganId>000.00.00.H41</edXML:OrganId>\n          <edXML:OrganName>",
         "<edXML:OrganId>null</edXML:OrganId>\n          <edXML:OrganName>"),
        ("<edXML:To><edXML:OrganId>000.00.00.H14</edXML:OrganId></edXML:To>",
         "<edXML:To><edXML:OrganId></edXML:OrganId></edXML:To>"),
        ("<edXML:PromulgationDate>2026/01/02", "<edXML:PromulgationDate>2026/13/02"),
        ("<edXML:Subject>V/v thử nghiệm liên thông</edXML:Subject>", "<edXML:Subject/>"),
        ("<edXML:Priority>1</edXML:Priority>", "<edXML:Priority>7</edXML:Priority>"),
        ("2026/01/02 08:30:00", "2026/01/02 25:30:00"),
        ("<ContentType>application/pdf</ContentType>", ""),
    )  # fmt: skip
    assert locs(refused(data)) == {
        ((H, "From", "OrganId"), "agency_code"),
        ((H, "To", 1, "OrganId"), "agency_code"),  # empty: a broken code, not an absent one
        ((H, "PromulgationInfo", "PromulgationDate"), "date_format"),
        ((H, "Subject"), "missing"),
        ((H, "OtherInfo", "Priority"), "enum"),
        (("TraceHeaderList", "TraceHeader", 0, "Timestamp"), "timestamp_format"),
        (("AttachmentEncoded", "Attachment", 0, "ContentType"), "missing"),
    }


def test_messages_name_the_value_that_is_wrong() -> None:
    exc = refused(small(("2026/01/02 08:30:00", "2014/02/30 08:30:00")))
    [error] = exc.errors
    assert error["loc"] == ["TraceHeaderList", "TraceHeader", 0, "Timestamp"]
    assert "2014/02/30 08:30:00" in error["msg"]
    assert "TraceHeaderList/TraceHeader/0/Timestamp" in str(exc)


def test_a_package_without_a_recipient_is_refused_at_to() -> None:
    data = small(
        ("<edXML:To><edXML:OrganId>000.00.00.G22</edXML:OrganId></edXML:To>", ""),
        ("<edXML:To><edXML:OrganId>000.00.00.H14</edXML:OrganId></edXML:To>", ""),
    )
    assert locs(refused(data)) == {((H, "To"), "missing")}


def test_a_repeated_single_element_is_refused_once() -> None:
    sender = "<edXML:From><edXML:OrganId>000.00.00.H14</edXML:OrganId></edXML:From>"
    data = small(("<edXML:To>", sender + "<edXML:To>", ))  # fmt: skip
    assert [e["loc"] for e in refused(data).errors] == [[H, "From"]]
    # Which of two MessageHeaders is meant? Neither is guessed; said once, not once per field.
    header = SMALL.split("<edXML:MessageHeader>")[1].split("</edXML:MessageHeader>")[0]
    twice = f"<edXML:MessageHeader>{header}</edXML:MessageHeader>"
    data = small(("</edXML:MessageHeader>", "</edXML:MessageHeader>" + twice))
    assert [e["loc"] for e in refused(data).errors] == [[H]]


def test_indexes_point_at_the_element_even_after_skipped_empty_ones() -> None:
    places = "<edXML:Place/><edXML:Place>" + "x" * 501 + "</edXML:Place>"
    data = small(("<edXML:Place>Các sở, ngành</edXML:Place>", places))
    assert locs(refused(data)) == {((H, "ToPlaces", "Place", 1), "string_too_long")}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("<edXML:ContentId>cid:1<", "<edXML:ContentId>cid:2<"),
            {
                (("edXMLBody", "edXMLManifest", "Reference", 0, "ContentId"), "attachment_missing"),
                (("AttachmentEncoded", "Attachment", 0, "ContentId"), "attachment_unlisted"),
            },
        ),
        (
            ("<edXML:Reference><edXML:ContentId>cid:1</edXML:ContentId></edXML:Reference>", ""),
            {(("AttachmentEncoded", "Attachment", 0, "ContentId"), "attachment_unlisted")},
        ),
        (
            ("<edXML:ContentId>cid:1</edXML:ContentId>", "<edXML:ContentId/>"),
            {
                (("edXMLBody", "edXMLManifest", "Reference", 0, "ContentId"), "missing"),
                (("AttachmentEncoded", "Attachment", 0, "ContentId"), "attachment_unlisted"),
            },
        ),
        (
            ("</edXML:Reference>", "</edXML:Reference><edXML:Reference>"
             "<edXML:ContentId>cid:1</edXML:ContentId></edXML:Reference>"),
            {(("edXMLBody", "edXMLManifest", "Reference", 1, "ContentId"), "duplicate_content_id")},
        ),
        (
            ("</Attachment>", "</Attachment><Attachment><ContentId>cid:1</ContentId>"
             "<AttachmentName>b.pdf</AttachmentName><ContentType>application/pdf</ContentType>"
             "<ContentTransferEncoded>QQ==</ContentTransferEncoded></Attachment>"),
            {(("AttachmentEncoded", "Attachment"), "duplicate_content_id")},
        ),
    ],
)  # fmt: skip
def test_manifest_and_attachments_must_agree_by_content_id(
    change: tuple[str, str], expected: set[tuple[tuple[str | int, ...], str]]
) -> None:
    assert locs(refused(small(change))) == expected


def test_base64_wrapped_in_lines_is_read_as_one_line() -> None:
    payload = base64.b64encode(bytes(range(256)) * 3).decode()
    wrapped = "\n" + "\n".join(payload[i : i + 76] for i in range(0, len(payload), 76)) + "\n  "
    document = parse(small(("JVBERi0xLjQK", wrapped)))
    assert isinstance(document, EdxmlDocument)
    assert document.attachments[0].data == payload


def test_a_broken_attachment_is_refused_at_its_content() -> None:
    data = small(("JVBERi0xLjQK", "JVBERi0xLjQ"))
    assert locs(refused(data)) == {
        (("AttachmentEncoded", "Attachment", 0, "ContentTransferEncoded"), "base64")
    }


def test_children_in_no_namespace_and_undeclared_prefixes_are_read() -> None:
    # A root with the edXML prefix: unprefixed elements below are in no namespace.
    prefixed = SMALL.replace(f'<edXML xmlns="{NS}">', f'<edXML:edXML xmlns:edXML="{NS}">')
    prefixed = prefixed.replace("</edXML>\n", "</edXML:edXML>\n")
    prefixed = prefixed.replace("<edXML:Reference>", '<edXML:Reference xlink:href="">')
    assert parse(prefixed.encode()) == parse(small())


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        (("<edXML:edXMLEnvelope", "<edXML:Envelope"), ["edXMLEnvelope"]),
        (("<edXML:edXMLHeader>", "<edXML:Header>"), ["edXMLHeader"]),
        (("<edXML:MessageHeader>", "<edXML:Header>"), [H]),
    ],
)
def test_a_package_missing_its_frame_is_refused_where_it_breaks(
    change: tuple[str, str], loc: list[str]
) -> None:
    old, new = change
    closing = (old.replace("<", "</").rstrip(">") + ">", new.replace("<", "</").rstrip(">") + ">")
    exc = refused(small(change, closing))
    assert [(e["loc"], e["type"]) for e in exc.errors] == [(loc, "missing")]


STATUS = f"""<?xml version="1.0" encoding="UTF-8"?>
<edXML xmlns="{NS}"><edXMLEnvelope><edXMLHeader><Status>
  <ResponseFor>
    <OrganId>000.00.00.G22</OrganId><Code>7816/VPCP-TTĐT</Code>
    <PromulgationDate>2015/09/30</PromulgationDate>
    <DocumentId>000.00.00.G22,2015/09/30,7816/VPCP-TTĐT</DocumentId>
  </ResponseFor>
  <From><OrganId>000.00.00.H41</OrganId><OrganName>UBND Tỉnh Nghệ An</OrganName></From>
  <StatusCode>03</StatusCode>
  <Description>Đã tiếp nhận</Description>
  <Timestamp>2015/09/20 11:08:36</Timestamp>
  <StaffInfo><Department>Văn thư</Department><Staff></Staff></StaffInfo>
</Status></edXMLHeader></edXMLEnvelope></edXML>
"""


def test_a_vendor_status_element_is_read_in_any_order() -> None:
    status = parse(STATUS.encode())
    assert isinstance(status, EdxmlStatus)
    assert status.layout is StatusLayout.STATUS
    assert status.from_.organ_id == "000.00.00.H41"
    assert status.staff is not None
    assert (status.staff.department, status.staff.staff) == ("Văn thư", None)
    assert status.timestamp.isoformat() == "2015-09-20T11:08:36+07:00"
    assert parse(write(status)) == status


def test_status_errors_are_located_under_the_status_element() -> None:
    data = STATUS.replace("<StatusCode>03", "<StatusCode>17").replace("2015/09/20 ", "2015-09-20 ")
    assert locs(refused(data.encode())) == {
        (("Status", "StatusCode"), "enum"),
        (("Status", "Timestamp"), "timestamp_format"),
    }


def test_write_refuses_text_xml_cannot_carry_and_says_where() -> None:
    document = parse(small())
    assert isinstance(document, EdxmlDocument)
    broken = document.model_copy(update={"subject": "tab\x01bell"})
    with pytest.raises(EdxmlInvalid) as caught:
        write(broken)
    assert locs(caught.value) == {((H, "Subject"), "xml_character")}


@pytest.mark.parametrize(
    "signature",
    [
        "<Other/>",
        "<Signature>",
        '<!DOCTYPE Signature [<!ENTITY e "x">]><Signature>&e;</Signature>',
    ],
)
def test_a_signature_must_be_a_signature_element(signature: str) -> None:
    from pydantic import ValidationError

    document = parse(small())
    with pytest.raises(ValidationError) as caught:
        EdxmlDocument.model_validate({**document.model_dump(), "signature": signature})
    assert caught.value.errors()[0]["type"] == "signature_xml"


def test_attachment_text_is_kept_not_copied_by_validation() -> None:
    data = "QUJD" * 100_000
    attachment = Attachment(content_id="c", name="n", content_type="a/b", data=data)
    assert attachment.data is data


def test_attachment_bytes_stream_in_bounded_chunks() -> None:
    raw = bytes(range(256)) * 1000
    attachment = Attachment(
        content_id="cid:1",
        name="x.bin",
        content_type="application/octet-stream",
        data=base64.b64encode(raw).decode(),
    )
    chunks = list(iter_attachment_bytes(attachment, chunk_size=1000))
    assert b"".join(chunks) == raw
    assert max(map(len, chunks)) <= 1000
    assert len(chunks) == -(-len(raw) // 999)


def test_dates_with_one_digit_months_are_read() -> None:
    document = parse(
        small(("<edXML:PromulgationDate>2026/01/02", "<edXML:PromulgationDate>2026/1/2"))
    )
    assert isinstance(document, EdxmlDocument)
    assert document.promulgation.date == dt.date(2026, 1, 2)
