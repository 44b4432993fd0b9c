"""The agencies the joined procedures reach besides the Ministry, and what each is sent.

- residence registration (LTKS, cư trú): the child's ``soDinhDanh`` (the Ministry's), ``hoTen``,
  ``ngaySinh``, ``gioiTinh``, and ``noiThuongTru``, where a parent (or the requester) lives →
  ``residence_record_number``;
- health insurance card (LTKS, BHYT): the child's ``soDinhDanh``, ``hoTen``, ``ngaySinh``,
  ``gioiTinh``, the parents' names → ``card_number``, ``valid_from``, ``valid_until``;
- residence removal (LTKT, cư trú): the deceased's ``soDinhDanh``, ``hoTen``, ``ngayChet``,
  ``noiThuongTru``, ``lyDo`` → ``residence_record_number``;
- funeral allowance (LTKT, mai táng): the deceased, and the requester who receives it
  (``nguoiNhan*``) → ``decision_number``, ``amount_vnd``.

Every request is ``{maDonVi, maHoSo, ngayTiepNhan, data}`` with the agency's API key in
``X-API-Key``, and carries the civil-status registration number it follows from. ``maHoSo`` is the
Ministry dossier's code plus a suffix per service, the same for every attempt, so an agency answers
a resend with its first result. Answers are read as ``lgsp.adapters.civil_status.wire`` says.

Not for: deciding when a leg runs (the adapter, ``.legs``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from lgsp.adapters.civil_status.legs import Leg
from lgsp.adapters.civil_status.mapping import Registration, iso_date, ministry_date
from lgsp.adapters.civil_status.ministry import received_at
from lgsp.adapters.civil_status.wire import call_service, raise_for_code
from lgsp.errors import PermanentDeliveryError
from lgsp.schemas import BirthRegistration, DeathRegistration
from lgsp.schemas.civil_status import Place
from lgsp.settings import Settings

__all__ = [
    "AGENCY_API_KEY_HEADER",
    "AgencyClient",
    "AgencyService",
    "service_for",
]

AGENCY_API_KEY_HEADER = "X-API-Key"

Builder = Callable[[Any, Mapping[str, Any]], dict[str, Any]]
"""``(body, civil-status results in English) -> data``; raises ``PermanentDeliveryError`` when
the body lacks what the agency needs."""


@dataclass(frozen=True, slots=True)
class AgencyService:
    name: str
    """How reasons name it."""
    path: str
    suffix: str
    """Added to the Ministry dossier's code to make this service's ``maHoSo``."""
    url_setting: str
    key_setting: str
    results: Mapping[str, str]
    """Their result names → English."""
    build: Builder
    dates: tuple[str, ...] = ()
    """English result names that are dates (``dd/MM/yyyy`` → ISO)."""

    def url(self, settings: Settings) -> str:
        base = str(getattr(settings, self.url_setting)).rstrip("/")
        return f"{base}{self.path}" if base else ""

    @property
    def setting_name(self) -> str:
        """The environment variable an operator sets for it."""
        return f"LGSP_{self.url_setting.upper()}"


def _place(place: Place | None) -> dict[str, Any] | None:
    if place is None:
        return None
    names = {"province": "tinh", "district": "huyen", "commune": "xa", "detail": "chiTiet"}
    values = place.model_dump(exclude_none=True)
    return {names[k]: v for k, v in values.items()}


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


def _sex(body: BirthRegistration) -> str:
    return "1" if body.child.sex.value == "male" else "2"


def _child_id(body: BirthRegistration, civil: Mapping[str, Any]) -> str:
    personal_id = civil.get("personal_id") or body.child.personal_id
    if not personal_id:
        raise PermanentDeliveryError(
            "the civil-status system assigned no personal ID number to the child, and the body "
            "gives none (child.personal_id)"
        )
    return str(personal_id)


def _residence_registration(body: BirthRegistration, civil: Mapping[str, Any]) -> dict[str, Any]:
    # A newborn is registered where a parent (or, failing both, the requester) lives.
    homes = [p.residence for p in (body.mother, body.father, body.requester) if p is not None]
    home = next((h for h in homes if h is not None), None)
    if home is None:
        raise PermanentDeliveryError(
            "the residence leg needs where the child will live: mother.residence, "
            "father.residence or requester.residence; none is given"
        )
    return _clean(
        {
            "soDinhDanh": _child_id(body, civil),
            "hoTen": body.child.full_name,
            "ngaySinh": ministry_date(body.child.birth_date),
            "gioiTinh": _sex(body),
            "noiThuongTru": _place(home),
            "soDinhDanhMe": body.mother.personal_id if body.mother else None,
            "soDinhDanhCha": body.father.personal_id if body.father else None,
            "soDangKyKhaiSinh": civil.get("registration_number"),
        }
    )


def _health_insurance_card(body: BirthRegistration, civil: Mapping[str, Any]) -> dict[str, Any]:
    homes = [p.residence for p in (body.mother, body.father, body.requester) if p is not None]
    return _clean(
        {
            "soDinhDanh": _child_id(body, civil),
            "hoTen": body.child.full_name,
            "ngaySinh": ministry_date(body.child.birth_date),
            "gioiTinh": _sex(body),
            "noiCuTru": _place(next((h for h in homes if h is not None), None)),
            "hoTenMe": body.mother.full_name if body.mother else None,
            "hoTenCha": body.father.full_name if body.father else None,
            "soDangKyKhaiSinh": civil.get("registration_number"),
        }
    )


def _deceased_id(body: DeathRegistration) -> str:
    if body.deceased.personal_id is None:  # the schema requires it for LTKT
        raise PermanentDeliveryError("deceased.personal_id is missing")
    return body.deceased.personal_id


def _residence_removal(body: DeathRegistration, civil: Mapping[str, Any]) -> dict[str, Any]:
    return _clean(
        {
            "soDinhDanh": _deceased_id(body),
            "hoTen": body.deceased.full_name,
            "ngayChet": ministry_date(body.deceased.death_date),
            "noiThuongTru": _place(body.deceased.residence),
            "lyDo": "Đã chết",
            "soDangKyKhaiTu": civil.get("registration_number"),
        }
    )


def _funeral_allowance(body: DeathRegistration, civil: Mapping[str, Any]) -> dict[str, Any]:
    requester = body.requester
    paper = requester.id_document
    return _clean(
        {
            "soDinhDanhNguoiChet": _deceased_id(body),
            "hoTenNguoiChet": body.deceased.full_name,
            "ngayChet": ministry_date(body.deceased.death_date),
            "soDangKyKhaiTu": civil.get("registration_number"),
            "nguoiNhanHoTen": requester.full_name,
            "nguoiNhanQuanHe": requester.relationship,
            "nguoiNhanSoDinhDanh": requester.personal_id,
            "nguoiNhanSoGiayTo": paper.number if paper is not None else None,
        }
    )


RESIDENCE_REGISTRATION = AgencyService(
    name="the residence registry",
    path="/cutru/1.0/dangKyThuongTru",
    suffix="CT",
    url_setting="residence_url",
    key_setting="residence_api_key",
    results={"maHoSo": "dossier_code", "soHoSoCuTru": "residence_record_number"},
    build=_residence_registration,
)
RESIDENCE_REMOVAL = AgencyService(
    name="the residence registry",
    path="/cutru/1.0/xoaDangKyThuongTru",
    suffix="XCT",
    url_setting="residence_url",
    key_setting="residence_api_key",
    results={"maHoSo": "dossier_code", "soHoSoCuTru": "residence_record_number"},
    build=_residence_removal,
)
HEALTH_INSURANCE_CARD = AgencyService(
    name="health insurance",
    path="/bhyt/1.0/capTheBHYT",
    suffix="BHYT",
    url_setting="health_insurance_url",
    key_setting="health_insurance_api_key",
    results={
        "maHoSo": "dossier_code",
        "maTheBHYT": "card_number",
        "giaTriTu": "valid_from",
        "giaTriDen": "valid_until",
    },
    build=_health_insurance_card,
    dates=("valid_from", "valid_until"),
)
FUNERAL_ALLOWANCE = AgencyService(
    name="the funeral allowance service",
    path="/bhxh/1.0/giaiQuyetTroCapMaiTang",
    suffix="MT",
    url_setting="funeral_allowance_url",
    key_setting="funeral_allowance_api_key",
    results={"maHoSo": "dossier_code", "soQuyetDinh": "decision_number", "soTien": "amount_vnd"},
    build=_funeral_allowance,
)

_SERVICES: Mapping[tuple[str, Leg], AgencyService] = {
    ("civil_status.birth", Leg.RESIDENCE): RESIDENCE_REGISTRATION,
    ("civil_status.birth", Leg.HEALTH_INSURANCE): HEALTH_INSURANCE_CARD,
    ("civil_status.death", Leg.RESIDENCE): RESIDENCE_REMOVAL,
    ("civil_status.death", Leg.FUNERAL_ALLOWANCE): FUNERAL_ALLOWANCE,
}


def service_for(message_type: str, leg: Leg) -> AgencyService:
    """The service a leg of a request calls; ``KeyError`` for the civil-status leg."""
    return _SERVICES[(message_type, leg)]


@dataclass(frozen=True, slots=True)
class AgencyClient:
    http: httpx.AsyncClient
    settings: Settings

    def request(
        self,
        service: AgencyService,
        *,
        body: Registration,
        civil: Mapping[str, Any],
        dossier: str,
        received: datetime,
    ) -> dict[str, Any]:
        """What ``service`` is sent for this leg; ``PermanentDeliveryError`` when the body lacks
        what the agency needs (nothing is sent then)."""
        return {
            "maDonVi": self.settings.civil_status_unit,
            "maHoSo": f"{dossier}-{service.suffix}",
            "ngayTiepNhan": received_at(received),
            "data": service.build(body, civil),
        }

    async def send(self, service: AgencyService, request: dict[str, Any]) -> dict[str, Any]:
        """Ask ``service`` to settle the leg; returns its result in English."""
        url = service.url(self.settings)
        key = str(getattr(self.settings, service.key_setting))
        answer = await call_service(
            self.http,
            url,
            service=service.name,
            body=request,
            headers={AGENCY_API_KEY_HEADER: key},
            timeout=self.settings.webhook_timeout,
        )
        raise_for_code(answer, service=service.name, target=url)
        found = answer.data if isinstance(answer.data, dict) else {}
        result = {
            english: found[name] for name, english in service.results.items() if name in found
        }
        for name in service.dates:
            if isinstance(result.get(name), str):
                with contextlib.suppress(ValueError):  # else kept as the agency wrote it
                    result[name] = iso_date(result[name])
        return result
