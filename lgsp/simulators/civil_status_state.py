"""What the civil-status simulator knows and holds: config, error codes, registered records.

``CivilStatusConfig`` is the frozen configuration: each calling unit's API key (``maDonVi`` →
key), the province code that opens the personal ID numbers it assigns, the records whose status
walk passes through "needs more papers" or ends in "error", and the starting switches (the same
``Switches`` as the document axis simulator). ``CivilStatusState`` is the one mutable object,
kept on the simulator's ``web.Application``: switches, a seeded random source, and the records.

A record's status (``traTrangThaiHoSo``) advances ONE STEP PER STATUS CALL, not with time, so
tests walk it without sleeping: the first call answers 1 (received), then 3 (eligible), then 4
(done), which stays. Records listed in ``needs_more_papers`` answer 1, 2, 3, 4; records in
``failing`` answer 1, then 0 (error), which stays.

Lookups (``traCuuHoTich``) search every unit's records of one module by personal ID number (the
registered person's: the child's assigned number, ``nktSoDinhDanh``, ``chongSoDinhDanh`` or
``voSoDinhDanh``) or by registration number (``soDangKy``, narrowed by ``quyenSo`` and
``noiDangKy``); they answer the status without moving it on.

Not for: HTTP (``lgsp.simulators.civil_status``) or checking a record the way a registry clerk
would (``lgsp.schemas.civil_status`` does that); only presence and types are checked here.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from lgsp.errors import ConfigurationError
from lgsp.schemas.civil_status import PROVINCE_CODES
from lgsp.simulators.vdxp_state import ErrorKind, Switches

__all__ = [
    "MODULES",
    "CivilStatusConfig",
    "CivilStatusErrorCode",
    "CivilStatusState",
    "DossierStatus",
    "Registration",
]

MODULES = {"KS": "birth", "KT": "death", "KH": "marriage"}
"""``module`` values: KS khai sinh (birth), KT khai tử (death), KH kết hôn (marriage)."""

PAGES_PER_BOOK = 200


class CivilStatusErrorCode(IntEnum):
    """``errorCode`` of an answer; 999 is the simulator's own (injected, transient) trouble."""

    OK = 0
    AUTH = 100  # no API key, or a key that belongs to no unit
    IP_NOT_ALLOWED = 101  # not simulated: every caller's address is allowed
    WRONG_AGENCY = 106  # the key belongs to another unit than maDonVi
    INCOMPLETE = 200  # a required field is missing or empty
    NOT_FOUND = 201  # no such maHoSo for this unit
    BAD_DATA_TYPE = 302  # a field has the wrong JSON type
    BAD_DATA = 500  # a value that cannot be read (unknown module, bad date or sex, not JSON)
    TRY_LATER = 999  # injected by error_rate with error_kind="fail": transient, retry later


class DossierStatus(IntEnum):
    """``traTrangThaiHoSo`` answers."""

    ERROR = 0
    RECEIVED = 1
    NEEDS_MORE_PAPERS = 2
    ELIGIBLE = 3
    DONE = 4


@dataclass(frozen=True, slots=True)
class CivilStatusConfig:
    """The simulator's configuration; switches here are where the run starts.

    ``api_keys`` maps each calling unit (``maDonVi``) to the key it sends in ``api_key_header``.
    ``error_rate`` (0..1) of calls fail: ``error_kind="fail"`` answers HTTP 200 with
    ``errorCode`` 999, ``error_kind="http"`` answers HTTP 503; ``down`` answers every call 503.
    """

    api_keys: Mapping[str, str]
    api_key_header: str = "X-API-Key"
    province_code: str = "054"  # Phú Yên
    needs_more_papers: frozenset[str] = frozenset()
    failing: frozenset[str] = frozenset()
    latency: float = 0.0
    error_rate: float = 0.0
    error_kind: ErrorKind = "fail"
    down: bool = False
    seed: int | None = None

    def __repr__(self) -> str:
        return f"CivilStatusConfig(units={sorted(self.api_keys)!r})"  # never the keys


@dataclass(slots=True)
class Registration:
    """One registered record and where its status walk stands."""

    unit: str
    module: str
    dossier_id: str
    received: str
    number: str
    book: str
    page: str
    personal_id: str | None
    walk: tuple[DossierStatus, ...]
    step: int = 0
    data: dict[str, Any] = field(default_factory=dict, repr=False)

    def result(self) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "maHoSo": self.dossier_id,
            "soDangKy": self.number,
            "quyenSo": self.book,
            "trangSo": self.page,
        }
        if self.personal_id is not None:
            answer["soDinhDanh"] = self.personal_id
        return answer

    def next_status(self) -> DossierStatus:
        """The status this call answers; the walk then moves one step on (and stays at its end)."""
        status = self.walk[min(self.step, len(self.walk) - 1)]
        self.step += 1
        return status

    def current_status(self) -> DossierStatus:
        """The status last answered (received before any status call); the walk does not move."""
        return self.walk[min(max(self.step - 1, 0), len(self.walk) - 1)]

    def personal_ids(self) -> tuple[str, ...]:
        """Personal ID numbers of the people this record is about."""
        if self.personal_id is not None:
            return (self.personal_id,)
        keys = _PEOPLE.get(self.module, ())
        return tuple(str(self.data[k]) for k in keys if isinstance(self.data.get(k), str))

    def found(self) -> dict[str, Any]:
        """What a lookup answers: the result, where the dossier stands, and the record."""
        return {
            **self.result(),
            "module": self.module,
            "ngayTiepNhan": self.received,
            "trangThai": int(self.current_status()),
            "data": self.data,
        }


_PEOPLE = {
    "KS": ("nksSoDinhDanh",),
    "KT": ("nktSoDinhDanh",),
    "KH": ("chongSoDinhDanh", "voSoDinhDanh"),
}


class CivilStatusState:
    """Everything the simulator holds; one per application, under ``CIVIL_STATUS_STATE``."""

    def __init__(self, config: CivilStatusConfig) -> None:
        if config.province_code not in PROVINCE_CODES:
            raise ConfigurationError(f"{config.province_code} is not a province code")
        self.config = config
        self.switches = Switches(config.latency, config.error_rate, config.error_kind, config.down)
        self.switches.update({})  # validates the starting values
        self.rng = random.Random(config.seed)
        self.records: dict[tuple[str, str], Registration] = {}
        self.counters: dict[tuple[str, str], int] = {}
        self.calls: Counter[str] = Counter()
        """Calls per path, switched ones included: tests see what was (not) called again."""

    def inject_error(self) -> bool:
        rate = self.switches.error_rate
        return rate >= 1 or (rate > 0 and self.rng.random() < rate)

    def personal_id(self, birth_date: dt.date, female: bool) -> str:
        """A new personal ID number: province, century-and-sex digit, year, six random digits."""
        century_digit = (birth_date.year - 1900) // 100 * 2 + (1 if female else 0)
        tail = f"{self.rng.randrange(1_000_000):06d}"
        return f"{self.config.province_code}{century_digit}{birth_date.year % 100:02d}{tail}"

    def register(
        self,
        *,
        unit: str,
        module: str,
        dossier_id: str,
        received: str,
        data: dict[str, Any],
        personal_id: str | None,
    ) -> Registration:
        """Record a registration; sending the same ``maHoSo`` again answers the first result."""
        known = self.records.get((unit, dossier_id))
        if known is not None:
            return known
        count = self.counters.get((unit, module), 0) + 1
        self.counters[(unit, module)] = count
        year = dt.date.today().year
        if dossier_id in self.config.failing:
            walk: tuple[DossierStatus, ...] = (DossierStatus.RECEIVED, DossierStatus.ERROR)
        elif dossier_id in self.config.needs_more_papers:
            walk = (
                DossierStatus.RECEIVED,
                DossierStatus.NEEDS_MORE_PAPERS,
                DossierStatus.ELIGIBLE,
                DossierStatus.DONE,
            )
        else:
            walk = (DossierStatus.RECEIVED, DossierStatus.ELIGIBLE, DossierStatus.DONE)
        record = Registration(
            unit=unit,
            module=module,
            dossier_id=dossier_id,
            received=received,
            number=f"{count}/{year}",
            book=f"{(count - 1) // PAGES_PER_BOOK + 1:02d}/{year}/{module}",
            page=str((count - 1) % PAGES_PER_BOOK + 1),
            personal_id=personal_id,
            walk=walk,
            data=data,
        )
        self.records[(unit, dossier_id)] = record
        return record

    def find(self, unit: str, dossier_id: str) -> Registration | None:
        return self.records.get((unit, dossier_id))

    def search(
        self,
        module: str,
        *,
        personal_id: str | None = None,
        number: str | None = None,
        book: str | None = None,
        place: str | None = None,
    ) -> Registration | None:
        """The first record of ``module`` (any unit's) matching every key given; ``place`` is
        the registering authority (``noiDangKy``)."""
        for record in self.records.values():
            if record.module != module:
                continue
            if personal_id is not None and personal_id not in record.personal_ids():
                continue
            if number is not None and record.number != number:
                continue
            if book is not None and record.book != book:
                continue
            if place is not None and record.data.get("noiDangKy") != place:
                continue
            return record
        return None

    def describe(self) -> dict[str, Any]:
        """What ``GET /_simulator/state`` shows: switches and records (no personal data)."""
        return {
            "switches": self.switches.describe(),
            "calls": dict(self.calls),
            "records": [
                {
                    "maDonVi": r.unit,
                    "module": r.module,
                    "maHoSo": r.dossier_id,
                    "soDangKy": r.number,
                    "step": r.step,
                }
                for r in self.records.values()
            ],
        }
