"""The Government Office SDK's sample packages: each parses and round-trips, or is refused at the
elements that make it unroutable; status codes; both status layouts; fixtures as JSON."""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass

import pytest

from lgsp.schemas.document import (
    BusinessDocType,
    DocumentSend,
    DocumentStatus,
    Priority,
    Receiver,
    ReceiverType,
    StatusCode,
)
from lgsp.schemas.edxml import (
    VIETNAM,
    EdxmlDocument,
    EdxmlInvalid,
    EdxmlStatus,
    StatusLayout,
    document_to_json,
    iter_attachment_bytes,
    message_type_of,
    parse,
    status_to_json,
    write,
)
from tests.schemas.edxml_samples import FIXTURES, fixture, fixture_with, locs


@dataclass(frozen=True)
class Parsed:
    message_type: str


@dataclass(frozen=True)
class Refused:
    errors: frozenset[tuple[tuple[str | int, ...], str]]


RESPONSE_FOR = ("MessageHeader", "ResponseFor")
STATUS = Parsed("document.status")

EXPECTED: dict[str, Parsed | Refused] = {
    "edoc.edxml": Refused(
        frozenset(
            {
                # A blank ResponseFor template was left in (the real one is commented out): a
                # present ResponseFor needs all four, and an empty OrganId is a broken code.
                ((*RESPONSE_FOR, "OrganId"), "agency_code"),
                ((*RESPONSE_FOR, "Code"), "missing"),
                ((*RESPONSE_FOR, "PromulgationDate"), "missing"),
                ((*RESPONSE_FOR, "DocumentId"), "missing"),
                # 01.02.G22 has three groups; an agency code has at least four.
                (("TraceHeaderList", "TraceHeader", 0, "OrganId"), "agency_code"),
                # A JMeter placeholder, ${__StringFromFile(test.txt,,,)}, instead of base64.
                (("AttachmentEncoded", "Attachment", 0, "ContentTransferEncoded"), "base64"),
            }
        )
    ),
    "edoc_new.edxml": Refused(
        frozenset(
            {
                # 28.22.H17: three groups, not an agency code; the recipient cannot be routed.
                (("MessageHeader", "To", 0, "OrganId"), "agency_code"),
                # The impossible date 2014/02/30 is in Bussiness/DocumentId (the trace header's
                # own Timestamp, 2018/09/28 00:00:00, is fine).
                (("TraceHeaderList", "Bussiness", "DocumentId"), "document_id"),
            }
        )
    ),
    # Same Bussiness/DocumentId as edoc_new.edxml, 2014/02/30 included: the document it updates
    # cannot be identified.
    "edoc_update.edxml": Refused(
        frozenset({(("TraceHeaderList", "Bussiness", "DocumentId"), "document_id")})
    ),
    "edoc_replacement.edxml": Parsed("document.replace"),
    "edoc_revocation.edxml": Parsed("document.revoke"),
    "status.edxml": STATUS,
    "status_acceptance_03.edxml": STATUS,
    "status_assignment_04.edxml": STATUS,
    "status_cancellation_13.edxml": STATUS,
    "status_change-acceptance_15.edxml": STATUS,
    "status_change-rejection_16.edxml": STATUS,
    "status_finish_06.edxml": STATUS,
    "status_inbox_01.edxml": STATUS,
    "status_processing_05.edxml": STATUS,
    "status_rejection_02.edxml": STATUS,
}
PARSED = sorted(name for name, outcome in EXPECTED.items() if isinstance(outcome, Parsed))


def test_the_table_names_every_fixture() -> None:
    if not FIXTURES.is_dir():
        pytest.skip(f"the SDK sample packages are not checked out at {FIXTURES}")
    assert {path.name for path in FIXTURES.glob("*.edxml")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_fixture_parses_and_round_trips_or_is_refused_where_expected(name: str) -> None:
    expected = EXPECTED[name]
    data = fixture(name)
    if isinstance(expected, Refused):
        with pytest.raises(EdxmlInvalid) as caught:
            parse(data)
        assert not caught.value.malformed  # well-formed XML: a 422, not a 400
        assert locs(caught.value) == expected.errors
        return
    package = parse(data)
    assert message_type_of(package) == expected.message_type
    written = write(package)
    assert parse(written) == package
    assert write(parse(written)) == written  # and the spelling is stable


def test_edoc_new_is_refused_field_by_field_despite_its_junk_prefix() -> None:
    data = fixture("edoc_new.edxml")
    assert data.startswith(b"1212<?xml")
    with pytest.raises(EdxmlInvalid) as caught:
        parse(data)
    by_loc = {tuple(e["loc"]): e["msg"] for e in caught.value.errors}
    assert "28.22.H17" in by_loc[("MessageHeader", "To", 0, "OrganId")]
    assert "2014/02/30" in by_loc[("TraceHeaderList", "Bussiness", "DocumentId")]


def test_edoc_new_with_its_two_faults_repaired_parses_and_its_attachment_streams() -> None:
    package = parse(
        fixture_with(
            "edoc_new.edxml",
            (b">28.22.H17<", b">000.28.22.H17<"),
            (b"2014/02/30", b"2014/02/28"),
        )
    )
    assert isinstance(package, EdxmlDocument)
    assert package.to[0].organ_id == "000.28.22.H17"
    assert package.to[0].organization_in_charge == "UBND xã Hòa Sơn - UBND huyện Hòa Vang - " + (
        "Thành phố Đà Nẵng"
    )  # the leading space of the sample is not kept
    assert package.other is not None
    assert package.other.priority is Priority.NORMAL
    assert package.other.direction is False
    assert package.business is not None
    assert package.business.doc_type is BusinessDocType.NEW
    assert message_type_of(package) == "document.send"
    [attachment] = package.attachments
    assert (attachment.content_id, attachment.content_type) == ("cid:209", "application/zip")
    chunks = list(iter_attachment_bytes(attachment, chunk_size=4096))
    assert max(len(chunk) for chunk in chunks) <= 4096
    assert b"".join(chunks) == base64.b64decode(attachment.data)
    assert chunks[0].startswith(b"PK\x03\x04")  # a ZIP, as the manifest says
    assert parse(write(package)) == package


def test_edoc_with_its_faults_repaired_shows_the_tolerated_quirks() -> None:
    # edoc.edxml also writes xlink:href without declaring xlink, and uses the edXML: prefix on
    # AttachmentEncoded and below, outside the envelope that declares it; both are tolerated.
    blank = fixture("edoc.edxml").split(b"<edXML:ResponseFor>")[1].split(b"</edXML:ResponseFor>")[0]
    package = parse(
        fixture_with(
            "edoc.edxml",
            (b"<edXML:ResponseFor>" + blank + b"</edXML:ResponseFor>", b""),
            (b">01.02.G22<", b">000.01.02.G22<"),
            (b"${__StringFromFile(test.txt,,,)}", base64.b64encode(b"%PDF-1.4\n")),
        )
    )
    assert isinstance(package, EdxmlDocument)
    assert package.response_for is None
    assert package.document_id == "9fbfbad2-f1f8-4256-a2eb-50fb1061cddb"  # a UUID: data
    assert package.trace_headers[0].timestamp == dt.datetime(
        2018, 6, 20, 16, 35, 56, tzinfo=VIETNAM
    )
    assert package.attachments[0].name == "GUIDE_INSTALL OPENVPN.SIGNED.PDF"
    assert package.signature is not None
    assert package.signature.startswith('<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">')
    assert "<!--<KeyValue>" in package.signature  # carried as written, comments included
    assert parse(write(package)) == package


def test_the_update_sample_with_a_real_date_carries_its_receivers() -> None:
    package = parse(fixture_with("edoc_update.edxml", (b"2014/02/30", b"2014/02/28")))
    assert isinstance(package, EdxmlDocument)
    assert message_type_of(package) == "document.update"
    business = package.business
    assert business is not None
    assert business.document_id == "000.00.00.G22,2014/02/28,7806/VPCP-TTĐT"
    assert (business.document_info, business.document_receiver) == (1, 1)
    assert business.receivers == (
        Receiver(organ_id="000.00.00.H41", receiver_type=ReceiverType.REMOVED),
        Receiver(organ_id="000.00.00.H14", receiver_type=ReceiverType.ADDED),
    )
    assert [to.organ_id for to in package.to] == ["000.00.00.H41", "000.00.00.H14", "000.00.00.G17"]
    assert parse(write(package)) == package


def test_the_replacement_sample_lists_what_it_replaces_and_where() -> None:
    package = parse(fixture("edoc_replacement.edxml"))
    assert isinstance(package, EdxmlDocument)
    assert package.business is not None
    [first, second] = package.business.replacements
    assert first == second
    assert first.document_id == "000.00.00.G22,2014/01/30,7806/VPCP-TTĐT"
    assert first.organ_ids == ("000.00.00.H41", "000.00.00.H14")


def test_the_revocation_sample_says_what_it_revokes() -> None:
    package = parse(fixture("edoc_revocation.edxml"))
    assert isinstance(package, EdxmlDocument)
    assert package.business is not None
    assert package.business.doc_type is BusinessDocType.REVOKE
    assert package.business.reason == "Thu hồi văn bản điện tử"
    assert package.response_for is not None
    assert package.response_for.document_id == "000.00.04.G14,2012/08/06,267/VPCP-TTĐT"
    assert package.signature is not None
    again = parse(write(package))
    assert isinstance(again, EdxmlDocument)
    assert again.signature == package.signature


STATUS_FILES = sorted(name for name in EXPECTED if name.startswith("status"))


@pytest.mark.parametrize("name", STATUS_FILES)
def test_each_status_sample_has_the_code_its_name_says(name: str) -> None:
    package = parse(fixture(name))
    assert isinstance(package, EdxmlStatus)
    code = name.removesuffix(".edxml").rsplit("_", 1)[-1] if "_" in name else "01"
    assert package.status_code is StatusCode(code)
    assert package.layout is StatusLayout.MESSAGE_HEADER
    assert package.timestamp.utcoffset() == dt.timedelta(hours=7)


def test_the_status_codes_in_the_samples() -> None:
    codes = {parse(fixture(name)).status_code for name in STATUS_FILES}  # type: ignore[union-attr]
    assert {code.value for code in codes} == {
        "01", "02", "03", "04", "05", "06", "13", "15", "16"
    }  # fmt: skip


def _as_status_element(data: bytes) -> bytes:
    return data.replace(b"edXML:MessageHeader>", b"edXML:Status>")


@pytest.mark.parametrize("name", STATUS_FILES)
def test_both_status_layouts_parse_to_the_same_status_and_round_trip(name: str) -> None:
    in_header = parse(fixture(name))
    in_status = parse(_as_status_element(fixture(name)))
    assert isinstance(in_header, EdxmlStatus)
    assert isinstance(in_status, EdxmlStatus)
    assert in_status.layout is StatusLayout.STATUS
    assert in_status == in_header.model_copy(update={"layout": StatusLayout.STATUS})
    written = write(in_status)
    assert b"<edXML:Status>" in written
    assert b"MessageHeader" not in written
    assert parse(written) == in_status
    assert b"<edXML:MessageHeader>" in write(in_header)


def test_status_timestamp_is_vietnam_time() -> None:
    package = parse(fixture("status_acceptance_03.edxml"))
    assert isinstance(package, EdxmlStatus)
    assert package.timestamp == dt.datetime(2015, 9, 20, 4, 8, 36, tzinfo=dt.UTC)
    assert package.timestamp.isoformat() == "2015-09-20T11:08:36+07:00"


@pytest.mark.parametrize("name", PARSED)
def test_parsed_fixtures_are_valid_json_bodies(name: str) -> None:
    package = parse(fixture(name))
    body = (
        status_to_json(package) if isinstance(package, EdxmlStatus) else document_to_json(package)
    )
    model = DocumentStatus if isinstance(package, EdxmlStatus) else DocumentSend
    assert model.model_validate_json(body.model_dump_json()) == body
    if isinstance(package, EdxmlDocument) and package.business is not None:
        assert isinstance(body, DocumentSend)
        assert body.business == package.business


def test_written_packages_have_the_samples_shape() -> None:
    written = write(parse(fixture("edoc_revocation.edxml")))
    assert written.startswith(
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<edXML:edXML xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016">\n'
        b"  <edXML:edXMLEnvelope>\n    <edXML:edXMLHeader>\n      <edXML:MessageHeader>\n"
    )
    assert b'<edXML:edXMLManifest version="1.0">' in written
    assert written.index(b"</edXML:edXMLEnvelope>") < written.index(b"<edXML:AttachmentEncoded>")
