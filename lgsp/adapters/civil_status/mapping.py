"""The Ministry of Justice's names for the civil-status bodies: English JSON one way, the
Ministry's ``data`` the other.

Each body has one table of ``Field`` rows (an English path, the Ministry's key, a codec), read both
ways: ``to_ministry`` builds ``data`` for ``dangKyHoTich``, ``from_ministry`` turns a record a
lookup found back into English. The keys are the ones the schema field descriptions name
(``nksHoTen``, ``meSoDinhDanh``, ``gbtSo``, ``chongKetHonLanThu``...). Dates travel as
``dd/MM/yyyy``; a time of death rides on ``nktNgayChet`` as ``dd/MM/yyyy HH:mm``; a place is
``{tinh, huyen, xa, chiTiet}``; numbers and codes are strings.

The codes for sex (1 male, 2 female) are the Ministry's; those for identity papers, marital status
and registration kind are this platform's reading of the Ministry's catalogues, kept here, in one
place, should the Ministry publish others.

Not for: HTTP (``lgsp.adapters.civil_status.ministry``) or checking bodies (``lgsp.schemas``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lgsp.schemas import BirthRegistration, DeathRegistration, MarriageRegistration
from lgsp.schemas.civil_status_lookup import RecordKind

__all__ = [
    "MODULE_OF_KIND",
    "MODULE_OF_TYPE",
    "RESULT_NAMES",
    "Codec",
    "Field",
    "from_ministry",
    "iso_date",
    "ministry_date",
    "result_in_english",
    "to_ministry",
]

Registration = BirthRegistration | DeathRegistration | MarriageRegistration

MODULE_OF_TYPE: Mapping[str, str] = {
    "civil_status.birth": "KS",
    "civil_status.death": "KT",
    "civil_status.marriage": "KH",
}
"""``module``: KS khai sinh (birth), KT khai tử (death), KH kết hôn (marriage)."""

MODULE_OF_KIND: Mapping[RecordKind, str] = {
    RecordKind.BIRTH: "KS",
    RecordKind.DEATH: "KT",
    RecordKind.MARRIAGE: "KH",
}

RESULT_NAMES: Mapping[str, str] = {
    "maHoSo": "dossier_code",
    "soDinhDanh": "personal_id",
    "soDangKy": "registration_number",
    "quyenSo": "book_number",
    "trangSo": "page_number",
}
"""A registration's results, the Ministry's names to English."""


@dataclass(frozen=True, slots=True)
class Codec:
    """How one value is written for the Ministry, and read back."""

    encode: Callable[[Any], Any]
    decode: Callable[[Any], Any]


def ministry_date(value: dt.date | str) -> str:
    """``dd/MM/yyyy`` from a date or an ISO date string."""
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(value[:10])
    return day.strftime("%d/%m/%Y")


def iso_date(value: str) -> str:
    """``YYYY-MM-DD`` from ``dd/MM/yyyy`` or ISO, anything after the date ignored."""
    for form in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(value[:10], form).date().isoformat()
        except ValueError:
            continue
    raise ValueError("not a date")


def _codes(table: Mapping[str, str]) -> Codec:
    back = {code: name for name, code in table.items()}
    return Codec(lambda value: table[value], lambda code: back[str(code)])


def _place_out(place: Mapping[str, Any]) -> dict[str, Any]:
    names = {"province": "tinh", "district": "huyen", "commune": "xa", "detail": "chiTiet"}
    return {names[k]: v for k, v in place.items() if k in names}


def _place_in(place: Mapping[str, Any]) -> dict[str, Any]:
    names = {"tinh": "province", "huyen": "district", "xa": "commune", "chiTiet": "detail"}
    return {names[k]: v for k, v in place.items() if k in names and v not in (None, "")}


TEXT = Codec(str, str)
COUNT = Codec(str, int)
DATE = Codec(ministry_date, iso_date)
PLACE = Codec(_place_out, _place_in)
SEX = _codes({"male": "1", "female": "2"})
ID_DOCUMENT = _codes({"id_card": "1", "citizen_id_card": "2", "passport": "3", "other": "9"})
MARITAL_STATUS = _codes(
    {"single": "1", "married": "2", "divorced": "3", "widowed": "4", "annulled": "5"}
)
BIRTH_KIND = _codes({"ordinary": "1", "re_registration": "2", "joined_ltks": "3"})
DEATH_KIND = _codes({"ordinary": "1", "joined_ltkt": "3"})


@dataclass(frozen=True, slots=True)
class Field:
    path: tuple[str, ...]
    key: str
    codec: Codec = TEXT


def _id_document(path: tuple[str, ...], prefix: str) -> list[Field]:
    paper = (*path, "id_document")
    return [
        Field((*paper, "type"), f"{prefix}LoaiGiayToTuyThan", ID_DOCUMENT),
        Field((*paper, "number"), f"{prefix}SoGiayToTuyThan"),
        Field((*paper, "issued_on"), f"{prefix}NgayCapGiayToTuyThan", DATE),
        Field((*paper, "issued_by"), f"{prefix}NoiCapGiayToTuyThan"),
    ]


def _person(path: tuple[str, ...], prefix: str) -> list[Field]:
    """The fields a parent and a spouse share (``me*``, ``cha*``, ``chong*``, ``vo*``)."""
    return [
        Field((*path, "full_name"), f"{prefix}HoTen"),
        Field((*path, "birth_date"), f"{prefix}NgaySinh", DATE),
        Field((*path, "ethnicity"), f"{prefix}DanToc"),
        Field((*path, "nationality"), f"{prefix}QuocTich"),
        Field((*path, "residence"), f"{prefix}NoiCuTru", PLACE),
        *_id_document(path, prefix),
        Field((*path, "personal_id"), f"{prefix}SoDinhDanh"),
    ]


_REQUESTER = [
    Field(("requester", "full_name"), "nycHoTen"),
    Field(("requester", "relationship"), "nycQuanHe"),
    *_id_document(("requester",), "nyc"),
    Field(("requester", "personal_id"), "nycSoDinhDanh"),
    Field(("requester", "residence"), "nycNoiCuTru", PLACE),
]

_REGISTRATION = [
    Field(("registration_place",), "noiDangKy"),
    Field(("registered_on",), "ngayDangKy", DATE),
    Field(("copies",), "soLuongBanSao", COUNT),
]

BIRTH: Sequence[Field] = [
    Field(("child", "full_name"), "nksHoTen"),
    Field(("child", "sex"), "nksGioiTinh", SEX),
    Field(("child", "birth_date"), "nksNgaySinh", DATE),
    Field(("child", "birth_place"), "nksNoiSinh", PLACE),
    Field(("child", "home_town"), "nksQueQuan"),
    Field(("child", "ethnicity"), "nksDanToc"),
    Field(("child", "nationality"), "nksQuocTich"),
    Field(("child", "personal_id"), "nksSoDinhDanh"),
    *_person(("mother",), "me"),
    *_person(("father",), "cha"),
    *_REQUESTER,
    Field(("birth_notice", "number"), "maGCS"),
    Field(("birth_notice", "issued_on"), "ngayCapGCS", DATE),
    Field(("registration_kind",), "loaiDangKy", BIRTH_KIND),
    *_REGISTRATION,
]

DEATH: Sequence[Field] = [
    Field(("deceased", "full_name"), "nktHoTen"),
    Field(("deceased", "sex"), "nktGioiTinh", SEX),
    Field(("deceased", "birth_date"), "nktNgaySinh", DATE),
    Field(("deceased", "ethnicity"), "nktDanToc"),
    Field(("deceased", "nationality"), "nktQuocTich"),
    Field(("deceased", "residence"), "nktNoiCuTru", PLACE),
    Field(("deceased", "personal_id"), "nktSoDinhDanh"),
    Field(("deceased", "death_date"), "nktNgayChet", DATE),
    Field(("deceased", "death_place"), "nktNoiChet", PLACE),
    Field(("deceased", "cause"), "nktNguyenNhanChet"),
    *_REQUESTER,
    Field(("death_notice", "number"), "gbtSo"),
    Field(("death_notice", "issued_on"), "gbtNgayCap", DATE),
    Field(("death_notice", "issued_by"), "gbtNoiCap"),
    Field(("registration_kind",), "loaiDangKy", DEATH_KIND),
    *_REGISTRATION,
]


def _spouse(path: str, prefix: str) -> list[Field]:
    return [
        *_person((path,), prefix),
        Field((path, "marital_status"), f"{prefix}TinhTrangHonNhan", MARITAL_STATUS),
        Field((path, "marriage_count"), f"{prefix}KetHonLanThu", COUNT),
    ]


MARRIAGE: Sequence[Field] = [*_spouse("husband", "chong"), *_spouse("wife", "vo"), *_REGISTRATION]

_TABLES: Mapping[str, Sequence[Field]] = {"KS": BIRTH, "KT": DEATH, "KH": MARRIAGE}
_MODULE_OF_BODY: Mapping[type[Registration], str] = {
    BirthRegistration: "KS",
    DeathRegistration: "KT",
    MarriageRegistration: "KH",
}
_DEATH_MOMENT = "nktNgayChet"


def _get(values: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = values
    for name in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(name)
    return value


def _set(values: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for name in path[:-1]:
        values = values.setdefault(name, {})
    values[path[-1]] = value


def to_ministry(body: Registration) -> dict[str, Any]:
    """The body as the Ministry's ``data``; absent fields are left out."""
    module = _MODULE_OF_BODY[type(body)]
    values = body.model_dump(mode="json", exclude_none=True)
    data: dict[str, Any] = {}
    for field in _TABLES[module]:
        value = _get(values, field.path)
        if value is not None:
            data[field.key] = field.codec.encode(value)
    if isinstance(body, DeathRegistration) and body.deceased.death_time is not None:
        data[_DEATH_MOMENT] += body.deceased.death_time.strftime(" %H:%M")
    return data


def from_ministry(module: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """A record the Ministry holds, in English; a value no codec reads is kept as it came."""
    record: dict[str, Any] = {}
    for field in _TABLES.get(module, ()):
        raw = data.get(field.key)
        if raw is None or raw == "":
            continue
        try:
            value = field.codec.decode(raw)
        except (ValueError, KeyError, TypeError, AttributeError):
            value = raw
        _set(record, field.path, value)
    moment = data.get(_DEATH_MOMENT)
    if module == "KT" and isinstance(moment, str) and len(moment) > 10:
        try:
            time = dt.time.fromisoformat(moment[10:].strip())
            _set(record, ("deceased", "death_time"), time.isoformat())
        except ValueError:
            pass
    return record


def result_in_english(result: Mapping[str, Any]) -> dict[str, Any]:
    """A registration's results (``soDinhDanh``, ``soDangKy``...) under their English names."""
    return {english: result[name] for name, english in RESULT_NAMES.items() if result.get(name)}
