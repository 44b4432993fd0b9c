"""Sample edXML packages and model strategies shared by the ``test_edxml_*`` modules."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import strategies as st

from lgsp.schemas.document import (
    Attachment,
    Business,
    BusinessDocType,
    DocumentCode,
    DocumentType,
    Priority,
    Promulgation,
    Receiver,
    ReceiverType,
    Replacement,
    ResponseFor,
    Signer,
    StaffInfo,
    StatusCode,
)
from lgsp.schemas.edxml import (
    VIETNAM,
    EdxmlDocument,
    EdxmlInvalid,
    EdxmlOtherInfo,
    EdxmlStatus,
    Organization,
    StatusLayout,
    TraceHeader,
)

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "edxml" / "vpcp-sdk"
NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"


def fixture(name: str) -> bytes:
    """A sample package of the Government Office's SDK, byte for byte."""
    if not FIXTURES.is_dir():
        pytest.skip(f"the SDK sample packages are not checked out at {FIXTURES}")
    return (FIXTURES / name).read_bytes()


def fixture_with(name: str, *replacements: tuple[bytes, bytes]) -> bytes:
    """A sample package with some text replaced (each replacement must apply)."""
    data = fixture(name)
    for old, new in replacements:
        assert old in data, old
        data = data.replace(old, new)
    return data


def locs(exc: EdxmlInvalid) -> set[tuple[tuple[str | int, ...], str]]:
    """The (element path, type) of each error, for comparing with an expected set."""
    return {(tuple(error["loc"]), error["type"]) for error in exc.errors}


# A small package laid out like the SDK samples: default namespace on the root, the edXML prefix
# declared on the envelope, attachments outside it without a prefix.
SMALL = f"""<?xml version="1.0" encoding="UTF-8"?>
<edXML xmlns="{NS}">
  <edXML:edXMLEnvelope xmlns:edXML="{NS}">
    <edXML:edXMLHeader>
      <edXML:MessageHeader>
        <edXML:From>
          <edXML:OrganId>000.00.00.H41</edXML:OrganId>
          <edXML:OrganName>UBND Tỉnh Nghệ An</edXML:OrganName>
        </edXML:From>
        <edXML:To><edXML:OrganId>000.00.00.G22</edXML:OrganId></edXML:To>
        <edXML:To><edXML:OrganId>000.00.00.H14</edXML:OrganId></edXML:To>
        <edXML:DocumentId>000.00.00.H41,2026/01/02,12/UBND-VX</edXML:DocumentId>
        <edXML:Code>
          <edXML:CodeNumber>12</edXML:CodeNumber>
          <edXML:CodeNotation>UBND-VX</edXML:CodeNotation>
        </edXML:Code>
        <edXML:PromulgationInfo>
          <edXML:Place>Vinh</edXML:Place>
          <edXML:PromulgationDate>2026/01/02</edXML:PromulgationDate>
        </edXML:PromulgationInfo>
        <edXML:Subject>V/v thử nghiệm liên thông</edXML:Subject>
        <edXML:OtherInfo><edXML:Priority>1</edXML:Priority></edXML:OtherInfo>
        <edXML:ToPlaces><edXML:Place>Các sở, ngành</edXML:Place></edXML:ToPlaces>
      </edXML:MessageHeader>
      <edXML:TraceHeaderList>
        <edXML:TraceHeader>
          <edXML:OrganId>000.00.00.H41</edXML:OrganId>
          <edXML:Timestamp>2026/01/02 08:30:00</edXML:Timestamp>
        </edXML:TraceHeader>
      </edXML:TraceHeaderList>
    </edXML:edXMLHeader>
    <edXML:edXMLBody>
      <edXML:edXMLManifest version="1.0">
        <edXML:Reference><edXML:ContentId>cid:1</edXML:ContentId></edXML:Reference>
      </edXML:edXMLManifest>
    </edXML:edXMLBody>
  </edXML:edXMLEnvelope>
  <AttachmentEncoded>
    <Attachment>
      <ContentId>cid:1</ContentId>
      <AttachmentName>a.pdf</AttachmentName>
      <ContentType>application/pdf</ContentType>
      <ContentTransferEncoded>JVBERi0xLjQK</ContentTransferEncoded>
    </Attachment>
  </AttachmentEncoded>
</edXML>
"""


def small(*replacements: tuple[str, str]) -> bytes:
    """``SMALL`` with some text replaced (each replacement must apply), as UTF-8."""
    text = SMALL
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    return text.encode()


# --- hypothesis strategies over the models ---------------------------------------------------

text = (
    st.text(st.characters(categories=("L", "N", "P", "Zs")), min_size=1, max_size=30)
    .map(str.strip)
    .filter(bool)
)
optional_text = st.none() | text
count = st.integers(min_value=0, max_value=10_000)
dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31))
agency_codes = st.builds(
    "{}.{:02d}.{:02d}.{}".format,
    st.sampled_from(["000", "001", "012", "1A2"]),
    st.integers(0, 99),
    st.integers(0, 99),
    st.sampled_from(["G22", "H41", "H14", "K29", "H49"]),
)
document_ids = (
    st.none()
    | st.uuids().map(str)
    | st.builds(
        "{},{},{}/{}".format,
        agency_codes,
        dates.map(lambda d: d.strftime("%Y/%m/%d")),
        st.integers(1, 9999),
        st.sampled_from(["UBND-VX", "VPCP-TTĐT", "SNV"]),
    )
)
# Whole seconds in any offset, or naive (taken as Vietnam time); the models normalize.
_zones: list[dt.tzinfo | None] = [None, VIETNAM, dt.UTC, dt.timezone(dt.timedelta(hours=-5))]
timestamps = st.datetimes(
    min_value=dt.datetime(1990, 1, 1),
    max_value=dt.datetime(2090, 1, 1),
    timezones=st.sampled_from(_zones),
).map(lambda t: t.replace(microsecond=0))

SIGNATURES = [
    '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo><Reference URI="">'
    "<DigestValue>PrlYKdD8sksgnxFvUVtPIQ0pAqM=</DigestValue></Reference></SignedInfo>"
    "<SignatureValue>R2JWYg==</SignatureValue><!-- a comment --></Signature>",
    '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">\n  <ds:SignedInfo/>\n'
    "</ds:Signature>",
    f'<Signature xmlns="{NS}">\n  <SignedInfo/>\n</Signature>',
    "<Signature><SignatureValue>AA==</SignatureValue></Signature>",
]


def _nonempty(model: type[Any], **fields: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``model`` with at least one of ``fields`` set: an empty one is an absent one in edXML."""
    return (
        st.fixed_dictionaries({}, optional=fields)
        .filter(lambda d: any(v not in (None, ()) for v in d.values()))
        .map(lambda d: model(**d))
    )


organizations = st.builds(
    Organization,
    organ_id=agency_codes,
    organization_in_charge=optional_text,
    organ_name=optional_text,
    organ_add=optional_text,
    email=optional_text,
    telephone=optional_text,
    fax=optional_text,
    website=optional_text,
)
staff = _nonempty(StaffInfo, department=text, staff=text, email=text, mobile=text)
signers = _nonempty(Signer, competence=text, position=text, full_name=text)
other_fields: dict[str, st.SearchStrategy[Any]] = {
    "sphere_of_promulgation": text,
    "typer_notation": text,
    "promulgation_amount": count,
    "page_amount": count,
    "direction": st.booleans(),
    "appendixes": st.lists(text, max_size=3).map(tuple),
}
response_fors = st.builds(
    ResponseFor,
    organ_id=agency_codes,
    code=text,
    promulgation_date=dates,
    document_id=document_ids.filter(bool),
)
businesses = st.builds(
    Business,
    doc_type=st.sampled_from(list(BusinessDocType)),
    document_id=document_ids,
    reason=optional_text,
    paper=st.none() | st.integers(0, 1),
    staff=st.none() | staff,
    document_info=st.none() | st.integers(0, 1),
    document_receiver=st.none() | st.integers(0, 1),
    receivers=st.lists(
        st.builds(Receiver, organ_id=agency_codes, receiver_type=st.sampled_from(ReceiverType)),
        max_size=3,
    ).map(tuple),
    replacements=st.lists(
        st.builds(
            Replacement,
            document_id=document_ids.filter(bool),
            organ_ids=st.lists(agency_codes, max_size=3).map(tuple),
        ),
        max_size=2,
    ).map(tuple),
)
attachments = st.lists(
    st.builds(
        Attachment,
        content_id=text.map(lambda s: f"cid:{s}"),
        name=text,
        content_type=st.sampled_from(["application/pdf", "application/zip", "text/plain"]),
        description=optional_text,
        data=st.binary(min_size=1, max_size=200).map(lambda b: base64.b64encode(b).decode()),
    ),
    max_size=3,
    unique_by=lambda a: a.content_id,
).map(tuple)
document_codes = st.builds(DocumentCode, number=text, notation=text)
promulgations = st.builds(Promulgation, place=text, date=dates)
document_types = st.builds(DocumentType, type=count, detail=st.none() | count, name=optional_text)

edxml_documents = st.builds(
    EdxmlDocument,
    from_=organizations,
    to=st.lists(organizations, min_size=1, max_size=3).map(tuple),
    document_id=document_ids,
    code=document_codes,
    promulgation=promulgations,
    document_type=st.none() | document_types,
    subject=text,
    content=optional_text,
    signer=st.none() | signers,
    due_date=st.none() | dates,
    other=st.none() | _nonempty(EdxmlOtherInfo, priority=st.sampled_from(Priority), **other_fields),
    steering_type=st.none() | count,
    to_places=st.lists(text, max_size=3).map(tuple),
    response_for=st.none() | response_fors,
    trace_headers=st.lists(
        st.builds(TraceHeader, organ_id=agency_codes, timestamp=timestamps), max_size=3
    ).map(tuple),
    business=st.none() | businesses,
    attachments=attachments,
    signature=st.none() | st.sampled_from(SIGNATURES),
)
edxml_statuses = st.builds(
    EdxmlStatus,
    from_=organizations,
    response_for=response_fors,
    staff=st.none() | staff,
    status_code=st.sampled_from(StatusCode),
    description=optional_text,
    timestamp=timestamps,
    layout=st.sampled_from(StatusLayout),
)
