"""The codec reads a package from a binary stream exactly as from bytes."""

from __future__ import annotations

import io

import pytest

from lgsp.schemas.edxml import EdxmlInvalid, parse
from tests.schemas.edxml_samples import FIXTURES, fixture

NAMES = sorted(p.name for p in FIXTURES.glob("*.edxml")) if FIXTURES.is_dir() else ["absent"]


@pytest.mark.parametrize("name", NAMES)
def test_a_stream_reads_like_bytes(name: str) -> None:
    data = fixture(name)
    try:
        expected: object = parse(data)
    except EdxmlInvalid as exc:
        expected = exc.errors
    try:
        got: object = parse(io.BytesIO(data))
    except EdxmlInvalid as exc:
        got = exc.errors
    assert got == expected


def test_a_stream_over_the_limit_is_refused_before_parsing() -> None:
    data = fixture("status.edxml")
    with pytest.raises(EdxmlInvalid) as caught:
        parse(io.BytesIO(data), max_bytes=len(data) - 1)
    assert caught.value.errors[0]["type"] == "xml_too_large"


def test_a_stream_with_a_doctype_is_refused() -> None:
    data = b'<?xml version="1.0"?><!DOCTYPE edXML SYSTEM "http://127.0.0.1:9/x.dtd"><edXML/>'
    with pytest.raises(EdxmlInvalid) as caught:
        parse(io.BytesIO(data))
    assert caught.value.errors[0]["type"] == "xml_doctype"
