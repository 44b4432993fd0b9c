"""What an agency simulator knows and holds: which agency it plays, its services, config, records.

The joined civil-status procedures reach three agencies besides the Ministry of Justice:

- the residence registry (cư trú, Ministry of Public Security): permanent residence registration of
  a newborn (``dangKyThuongTru``, LTKS) and removal of the deceased's (``xoaDangKyThuongTru``,
  LTKT);
- social security's health insurance (BHYT): a card for a child under 6 (``capTheBHYT``, LTKS);
- social security's funeral allowance (trợ cấp mai táng, ``giaiQuyetTroCapMaiTang``, LTKT).

``AgencyConfig`` names the agency an instance plays (so one can be down while the others work),
the calling units' API keys, the dossiers it refuses, and the starting switches (the same
``Switches`` as every simulator). ``AgencyState`` is the one mutable object, kept on the
simulator's ``web.Application``. Each service is a ``ServiceSpec``: its path, the ``data`` fields it
requires (strings, or a place object), the ones that must be personal ID numbers or dates, and how
it numbers its result.

Not for: HTTP (``lgsp.simulators.agency``), or the agencies' real eligibility rules.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any

from lgsp.errors import ConfigurationError
from lgsp.schemas.civil_status import PROVINCE_CODES
from lgsp.simulators.vdxp_state import ErrorKind, Switches

__all__ = [
    "AGENCY_SERVICES",
    "FUNERAL_ALLOWANCE_VND",
    "SERVICES",
    "Agency",
    "AgencyConfig",
    "AgencyErrorCode",
    "AgencyRecord",
    "AgencyService",
    "AgencyState",
    "ServiceSpec",
    "parse_date",
]

FUNERAL_ALLOWANCE_VND = 23_400_000
"""Ten times the base salary (lương cơ sở 2,340,000 VND from 1 July 2024)."""


class Agency(StrEnum):
    """Which agency an instance plays."""

    RESIDENCE = "residence"
    """cư trú: the residence registry"""
    HEALTH_INSURANCE = "health_insurance"
    """bảo hiểm y tế: social security's health insurance cards"""
    FUNERAL_ALLOWANCE = "funeral_allowance"
    """trợ cấp mai táng: social security's funeral allowance"""


class AgencyService(StrEnum):
    RESIDENCE_REGISTRATION = "residence_registration"
    RESIDENCE_REMOVAL = "residence_removal"
    HEALTH_INSURANCE_CARD = "health_insurance_card"
    FUNERAL_ALLOWANCE = "funeral_allowance"


class AgencyErrorCode(IntEnum):
    """``errorCode`` of an answer: the Ministry of Justice's vocabulary, which the agencies share
    on the national data platform; 999 is the simulator's own (injected, transient) trouble."""

    OK = 0
    AUTH = 100
    WRONG_AGENCY = 106
    INCOMPLETE = 200
    NOT_FOUND = 201
    BAD_DATA_TYPE = 302
    BAD_DATA = 500
    TRY_LATER = 999


@dataclass(frozen=True, slots=True)
class AgencyRecord:
    """One dossier the agency settled, and its result."""

    service: AgencyService
    unit: str
    dossier_id: str
    result: dict[str, Any]
    data: dict[str, Any] = field(repr=False)


Numberer = Callable[["AgencyState", int, dict[str, Any], str], dict[str, Any]]
"""``(state, count, data, received) -> result fields``, ``maHoSo`` added by the caller."""


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    path: str
    required: tuple[str, ...]
    personal_ids: tuple[str, ...]
    dates: tuple[str, ...]
    places: tuple[str, ...]
    number: Numberer


def _year(received: str) -> int:
    return int(received[6:10]) if received[2:3] == "/" else int(received[:4])


def _residence_number(prefix: str) -> Numberer:
    def number(
        state: AgencyState, count: int, data: dict[str, Any], received: str
    ) -> dict[str, Any]:
        code = state.config.province_code
        return {"soHoSoCuTru": f"{prefix}{code}{_year(received)}{count:06d}"}

    return number


def parse_date(value: str) -> dt.date:
    """A date written ``dd/MM/yyyy`` or ``YYYY-MM-DD`` (anything after the date is ignored)."""
    for form in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(value[:10], form).date()
        except ValueError:
            continue
    raise ValueError(value)


def _health_insurance_card(
    state: AgencyState, count: int, data: dict[str, Any], received: str
) -> dict[str, Any]:
    # TE (trẻ em) + benefit level 1 + the province's two digits + a 10-digit insurance number.
    born = parse_date(data["ngaySinh"])
    try:
        sixth = born.replace(year=born.year + 6)
    except ValueError:  # 29 February
        sixth = dt.date(born.year + 6, 3, 1)
    return {
        "maTheBHYT": f"TE1{state.config.province_code[-2:]}{data['soDinhDanh'][-10:]}",
        "giaTriTu": parse_date(received).strftime("%d/%m/%Y"),
        "giaTriDen": (sixth - dt.timedelta(days=1)).strftime("%d/%m/%Y"),
    }


def _funeral_allowance(
    state: AgencyState, count: int, data: dict[str, Any], received: str
) -> dict[str, Any]:
    return {"soQuyetDinh": f"{count}/{_year(received)}/QĐ-BHXH", "soTien": FUNERAL_ALLOWANCE_VND}


SERVICES: Mapping[AgencyService, ServiceSpec] = {
    AgencyService.RESIDENCE_REGISTRATION: ServiceSpec(
        path="/cutru/1.0/dangKyThuongTru",
        required=("soDinhDanh", "hoTen", "ngaySinh", "noiThuongTru"),
        personal_ids=("soDinhDanh",),
        dates=("ngaySinh",),
        places=("noiThuongTru",),
        number=_residence_number("CT"),
    ),
    AgencyService.RESIDENCE_REMOVAL: ServiceSpec(
        path="/cutru/1.0/xoaDangKyThuongTru",
        required=("soDinhDanh", "hoTen", "ngayChet", "lyDo"),
        personal_ids=("soDinhDanh",),
        dates=("ngayChet",),
        places=("noiThuongTru",),
        number=_residence_number("XCT"),
    ),
    AgencyService.HEALTH_INSURANCE_CARD: ServiceSpec(
        path="/bhyt/1.0/capTheBHYT",
        required=("soDinhDanh", "hoTen", "ngaySinh"),
        personal_ids=("soDinhDanh",),
        dates=("ngaySinh",),
        places=("noiCuTru",),
        number=_health_insurance_card,
    ),
    AgencyService.FUNERAL_ALLOWANCE: ServiceSpec(
        path="/bhxh/1.0/giaiQuyetTroCapMaiTang",
        required=("soDinhDanhNguoiChet", "hoTenNguoiChet", "ngayChet", "nguoiNhanHoTen"),
        personal_ids=("soDinhDanhNguoiChet", "nguoiNhanSoDinhDanh"),
        dates=("ngayChet",),
        places=(),
        number=_funeral_allowance,
    ),
}

AGENCY_SERVICES: Mapping[Agency, tuple[AgencyService, ...]] = {
    Agency.RESIDENCE: (AgencyService.RESIDENCE_REGISTRATION, AgencyService.RESIDENCE_REMOVAL),
    Agency.HEALTH_INSURANCE: (AgencyService.HEALTH_INSURANCE_CARD,),
    Agency.FUNERAL_ALLOWANCE: (AgencyService.FUNERAL_ALLOWANCE,),
}


@dataclass(frozen=True, slots=True)
class AgencyConfig:
    """One agency simulator's configuration; switches here are where the run starts.

    ``api_keys`` maps each calling unit (``maDonVi``) to the key it sends in ``api_key_header``.
    Dossiers in ``refusing`` are answered ``errorCode`` 500 (not eligible), for good.
    ``error_rate`` (0..1) of calls fail: ``error_kind="fail"`` answers HTTP 200 with ``errorCode``
    999, ``error_kind="http"`` answers HTTP 503; ``down`` answers every call 503.
    """

    agency: Agency
    api_keys: Mapping[str, str]
    api_key_header: str = "X-API-Key"
    province_code: str = "054"  # Phú Yên
    refusing: frozenset[str] = frozenset()
    latency: float = 0.0
    error_rate: float = 0.0
    error_kind: ErrorKind = "fail"
    down: bool = False
    seed: int | None = None

    def __repr__(self) -> str:
        return f"AgencyConfig(agency={self.agency.value!r}, units={sorted(self.api_keys)!r})"


class AgencyState:
    """Everything one agency simulator holds; one per application."""

    def __init__(self, config: AgencyConfig) -> None:
        if config.province_code not in PROVINCE_CODES:
            raise ConfigurationError(f"{config.province_code} is not a province code")
        self.config = config
        self.services = AGENCY_SERVICES[config.agency]
        self.switches = Switches(config.latency, config.error_rate, config.error_kind, config.down)
        self.switches.update({})  # validates the starting values
        self.rng = random.Random(config.seed)
        self.records: dict[tuple[AgencyService, str, str], AgencyRecord] = {}
        self.counters: Counter[AgencyService] = Counter()
        self.calls: Counter[str] = Counter()
        """Calls per path, switched ones included: tests see what was (not) called again."""

    def inject_error(self) -> bool:
        rate = self.switches.error_rate
        return rate >= 1 or (rate > 0 and self.rng.random() < rate)

    def find(self, service: AgencyService, unit: str, dossier_id: str) -> AgencyRecord | None:
        return self.records.get((service, unit, dossier_id))

    def settle(
        self,
        service: AgencyService,
        *,
        unit: str,
        dossier_id: str,
        received: str,
        data: dict[str, Any],
    ) -> AgencyRecord:
        """Settle a dossier; the same ``maHoSo`` again answers the first result."""
        known = self.find(service, unit, dossier_id)
        if known is not None:
            return known
        self.counters[service] += 1
        result = SERVICES[service].number(self, self.counters[service], data, received)
        record = AgencyRecord(service, unit, dossier_id, {"maHoSo": dossier_id, **result}, data)
        self.records[(service, unit, dossier_id)] = record
        return record

    def describe(self) -> dict[str, Any]:
        """What ``GET /_simulator/state`` shows: switches, calls and records (no personal data)."""
        return {
            "agency": self.config.agency.value,
            "switches": self.switches.describe(),
            "calls": dict(self.calls),
            "records": [
                {"service": r.service.value, "maDonVi": r.unit, "maHoSo": r.dossier_id}
                for r in self.records.values()
            ],
        }
