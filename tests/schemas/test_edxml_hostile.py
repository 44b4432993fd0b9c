"""Hostile XML: each refused with ``EdxmlInvalid`` in bounded time, reading no file and calling no
network, before anything of it is taken for a package."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lgsp.schemas.edxml import DEFAULT_MAX_DEPTH, EdxmlDocument, EdxmlInvalid, parse
from tests.schemas.edxml_samples import NS, SMALL, locs, small

# Generous for a CI box; a refused package costs microseconds to a few milliseconds.
BOUND_SECONDS = 1.0


def refused(data: bytes, **limits: int) -> EdxmlInvalid:
    started = time.monotonic()
    with pytest.raises(EdxmlInvalid) as caught:
        parse(data, **limits)
    assert time.monotonic() - started < BOUND_SECONDS
    return caught.value


def only(exc: EdxmlInvalid) -> tuple[tuple[str | int, ...], str]:
    [error] = exc.errors
    return tuple(error["loc"]), error["type"]


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text("TOP-SECRET-4f1c9a")
    return path


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A TCP port nobody else uses, to see whether the parser tries to fetch from it."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    yield server
    server.close()


def _no_connection_to(server: socket.socket) -> bool:
    try:
        connection, _ = server.accept()
    except TimeoutError:
        return True
    connection.close()
    return False


@pytest.mark.parametrize("target", ["file:///etc/passwd", "secret"])
def test_an_external_entity_to_a_local_file_is_refused_unread(
    target: str, secret_file: Path
) -> None:
    url = secret_file.as_uri() if target == "secret" else target
    data = (
        f'<?xml version="1.0"?>\n<!DOCTYPE edXML [<!ENTITY e SYSTEM "{url}">]>\n'
        f'<edXML xmlns="{NS}"><edXML:edXMLEnvelope xmlns:edXML="{NS}">&e;'
        "</edXML:edXMLEnvelope></edXML>"
    ).encode()
    exc = refused(data)
    assert only(exc) == ((), "xml_doctype")
    assert exc.malformed
    for shown in (str(exc), repr(exc.errors)):
        assert "TOP-SECRET" not in shown
        assert "root:" not in shown


def test_billion_laughs_is_refused_before_any_expansion() -> None:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
    ]
    data = (f'<!DOCTYPE edXML [{"".join(entities)}]><edXML xmlns="{NS}">&lol9;</edXML>').encode()
    assert only(refused(data)) == ((), "xml_doctype")


@pytest.mark.parametrize("form", ["system", "public", "parameter-entity"])
def test_an_external_dtd_is_refused_without_a_network_call(
    form: str, listener: socket.socket
) -> None:
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/x.dtd"
    doctype = {
        "system": f'<!DOCTYPE edXML SYSTEM "{url}">',
        "public": f'<!DOCTYPE edXML PUBLIC "-//X//DTD X//EN" "{url}">',
        "parameter-entity": f'<!DOCTYPE edXML [<!ENTITY % d SYSTEM "{url}"> %d;]>',
    }[form]
    data = f'<?xml version="1.0"?>{doctype}<edXML xmlns="{NS}"/>'.encode()
    assert only(refused(data)) == ((), "xml_doctype")
    assert _no_connection_to(listener)


@pytest.mark.parametrize(
    "prolog",
    [
        "",
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        '<?xml version="1.0"?>\n<!-- a comment -->\n  <?pi x?>\n',
        "\ufeff",  # a byte-order mark
        "1212",  # the junk edoc_new.edxml starts with
    ],
)
def test_a_doctype_is_found_wherever_a_prolog_may_put_it(prolog: str) -> None:
    data = f'{prolog}<!DOCTYPE edXML><edXML xmlns="{NS}"/>'.encode()
    assert only(refused(data)) == ((), "xml_doctype")


def test_ten_thousand_levels_of_nesting_are_refused() -> None:
    data = f'<edXML xmlns="{NS}">'.encode() + b"<a>" * 10_000 + b"</a>" * 10_000 + b"</edXML>"
    exc = refused(data)
    assert only(exc) == ((), "xml_too_deep")
    assert exc.malformed


def test_our_own_depth_bound_is_lower_than_libxml2s() -> None:
    depth = DEFAULT_MAX_DEPTH + 10  # libxml2 alone would allow 256
    data = f'<edXML xmlns="{NS}">'.encode() + b"<a>" * depth + b"</a>" * depth + b"</edXML>"
    exc = refused(data)
    assert only(exc) == ((), "xml_too_deep")
    assert str(DEFAULT_MAX_DEPTH) in exc.errors[0]["msg"]
    # ...and can be set lower still: the small package nests attachments 3 deep.
    assert only(refused(small(), max_depth=2)) == ((), "xml_too_deep")


@pytest.mark.parametrize(
    "root", ['<edXML xmlns="urn:other">', "<edXML>", f'<Package xmlns="{NS}">']
)
def test_a_root_that_is_not_edxml_is_refused_as_not_a_package(root: str) -> None:
    end = root.split()[0].replace("<", "</").rstrip(">") + ">"
    data = small((f'<edXML xmlns="{NS}">', root), ("</edXML>\n", end))
    exc = refused(data)
    assert only(exc) == (("edXML",), "edxml_root")
    assert not exc.malformed  # well-formed XML, just not a package: 422


def test_an_encoding_declared_but_not_used_is_refused() -> None:
    data = small(('encoding="UTF-8"', 'encoding="UTF-16"'))
    exc = refused(data)
    assert only(exc)[0] == ()
    assert exc.malformed


@pytest.mark.parametrize(
    "data",
    [
        f'<?xml version="1.0" encoding="ISO-8859-1"?><edXML xmlns="{NS}">é</edXML>'.encode(
            "latin-1"
        ),
        SMALL.encode("utf-16"),
        SMALL.encode("utf-16-le"),  # no byte-order mark
        SMALL.encode("utf-32"),
    ],
)
def test_another_encoding_even_if_used_is_refused(data: bytes) -> None:
    exc = refused(data)
    assert only(exc) == ((), "xml_encoding")
    assert exc.malformed


def test_a_truncated_package_is_refused_as_malformed() -> None:
    data = small()
    exc = refused(data[: len(data) // 2])
    assert only(exc) == ((), "xml_malformed")
    assert exc.malformed
    assert "line" in exc.errors[0]["msg"]


def test_a_package_over_max_bytes_is_refused_before_parsing() -> None:
    data = small()
    assert parse(data, max_bytes=len(data))
    exc = refused(data, max_bytes=len(data) - 1)
    assert only(exc) == ((), "xml_too_large")
    # Not even looked at: garbage over the limit is "too large", not "malformed".
    assert only(refused(b"\x00" * 101, max_bytes=100)) == ((), "xml_too_large")


def test_an_attachment_over_libxml2s_text_limit_is_read_and_bounded_by_max_bytes() -> None:
    # Real packages carry scanned documents of tens of megabytes in one text node: only the
    # package's size limit bounds them.
    huge = "QUJD" * 2_500_001  # 10,000,004 characters of base64
    data = small(("JVBERi0xLjQK", huge))
    package = parse(data, max_bytes=len(data))
    assert isinstance(package, EdxmlDocument)
    assert len(package.attachments[-1].data) == len(huge)
    assert only(refused(data, max_bytes=len(data) - 1)) == ((), "xml_too_large")


@pytest.mark.parametrize(
    "data",
    [
        b"hello world",
        b'{"type": "document.send", "body": {}}',
        b"\x00\x01\x02\x03",
        b"<edXML",
        b"12345678901234567<edXML/>",  # more junk before the first '<' than tolerated
        b"junk<edXML/>",  # junk that is not digits or whitespace
    ],
)
def test_what_is_not_xml_is_refused_as_malformed(data: bytes) -> None:
    exc = refused(data)
    assert only(exc) == ((), "xml_malformed")
    assert exc.malformed


def test_empty_input_is_refused_as_malformed() -> None:
    exc = refused(b"")
    assert only(exc) == ((), "xml_malformed")
    assert exc.errors[0]["msg"] == "the package is empty"


def test_an_undeclared_prefix_other_than_edxml_on_an_element_is_malformed() -> None:
    data = small(
        ("<edXML:Subject>V/v thử nghiệm liên thông</edXML:Subject>", "<x:Subject>s</x:Subject>")
    )
    assert only(refused(data)) == ((), "xml_malformed")


def test_an_undefined_entity_is_malformed_not_resolved() -> None:
    data = small(("V/v thử nghiệm liên thông", "&passwd;"))
    assert locs(refused(data)) == {((), "xml_malformed")}
