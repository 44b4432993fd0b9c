"""The national platform's lookup answers in lgsp's words (English JSON field names).

A citizen (tra cứu công dân)::

    {soDinhDanh, hoVaTen, ngaySinh, gioiTinh, noiThuongTru}
      → {personal_id, full_name, birth_date (ISO), sex (male|female), residence}

A shared catalogue item and a search of one list (danh mục dùng chung)::

    {loaiDanhMuc, ma, ten}               → {catalog, list_code, code, name}
    {loaiDanhMuc, tuKhoa, danhSach: []}  → {catalog, list_code, query, items: [{code, name}]}

Each function raises ``ValueError`` for an answer it cannot read; the message never quotes the
answer (it may hold personal data).

Not for: HTTP (``lgsp.adapters.national.client``) or replies (``lgsp.adapters.national.lookups``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from lgsp.schemas import CatalogLookup, CitizenLookup

__all__ = ["catalog_item", "catalog_search", "citizen", "same_person"]

_SEX = {"male": "male", "nam": "male", "female": "female", "nữ": "female", "nu": "female"}
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%Y%m%d")


def citizen(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A population database record in English field names."""
    sex = _text(raw, "gioiTinh")
    return {
        "personal_id": _text(raw, "soDinhDanh"),
        "full_name": _text(raw, "hoVaTen"),
        "birth_date": _iso_date(_text(raw, "ngaySinh")),
        # A spelling not known here is passed on as the platform wrote it.
        "sex": _SEX.get(sex.casefold(), sex),
        "residence": _text(raw, "noiThuongTru", required=False),
    }


def same_person(lookup: CitizenLookup, found: Mapping[str, Any]) -> bool:
    """Whether the record ``found`` agrees with the name and birth date the lookup gave (each
    checked only when given; names compared without regard to case, spacing or Unicode form)."""
    if lookup.full_name is not None and _name(lookup.full_name) != _name(
        str(found.get("full_name") or "")
    ):
        return False
    return lookup.birth_date is None or lookup.birth_date.isoformat() == found.get("birth_date")


def catalog_item(lookup: CatalogLookup, raw: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "catalog": lookup.catalog,
        "list_code": _list_code(lookup, raw),
        "code": _text(raw, "ma"),
        "name": _text(raw, "ten"),
    }


def catalog_search(lookup: CatalogLookup, raw: Mapping[str, Any]) -> dict[str, Any]:
    found = raw.get("danhSach")
    if not isinstance(found, list) or not all(isinstance(item, dict) for item in found):
        raise ValueError("a catalogue search answer without a danhSach list of items")
    return {
        "catalog": lookup.catalog,
        "list_code": _list_code(lookup, raw),
        "query": lookup.query,
        "items": [{"code": _text(item, "ma"), "name": _text(item, "ten")} for item in found],
    }


def _list_code(lookup: CatalogLookup, raw: Mapping[str, Any]) -> str | None:
    # The platform's spelling of the list code wins: a caller may have written it in lower case.
    given = raw.get("loaiDanhMuc")
    return given if isinstance(given, str) and given else lookup.list_code


def _text(raw: Mapping[str, Any], key: str, *, required: bool = True) -> str:
    value = raw.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    if required:
        raise ValueError(f"the answer has no {key}")
    return ""


def _iso_date(text: str) -> str:
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date().isoformat()
        except ValueError:
            continue
    try:
        return date.fromisoformat(text[:10]).isoformat()  # a date-time: its date
    except ValueError:
        raise ValueError("the answer's ngaySinh is not a date") from None


def _name(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip().casefold()
