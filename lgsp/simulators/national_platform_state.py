"""What the national data platform simulator knows and holds: config, tokens, dossier histories.

``NationalConfig`` is the frozen configuration: the OAuth2 clients (id → secret), the token
lifetime, a small population (personal ID → ``Citizen``), the shared catalogues (API path
piece → list code → item code → name) and the starting switches (the same ``Switches`` as the
document axis simulator).
``NationalState`` is the one mutable object, kept on the simulator's ``web.Application``: the
switches, the tokens issued with their expiry (on an injectable clock, so tests can expire a
token without sleeping), ``tokens_issued`` (a counter for tests) and each dossier's history.

A dossier's status (``TrangThaiHoSo``) may only stay or rise: a status lower than the last one
recorded is refused, so a test can prove statuses arrived in order. The same status again is
accepted as a resend and not recorded twice.

Not for: HTTP (``lgsp.simulators.national_platform``) or the portal's full dossier schema.
"""

from __future__ import annotations

import random
import secrets
import time
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lgsp.simulators.vdxp_state import ErrorKind, Switches

__all__ = [
    "DEFAULT_CATALOGS",
    "Citizen",
    "Dossier",
    "NationalConfig",
    "NationalState",
    "StatusOutOfOrder",
    "find_list",
    "search_items",
]

DEFAULT_CATALOGS: Mapping[str, Mapping[str, Mapping[str, str]]] = {
    "dmdc": {
        "DanToc": {
            "01": "Kinh",
            "02": "Tày",
            "03": "Thái",
            "04": "Hoa",
            "05": "Khơ-me",
            "06": "Mường",
            "07": "Nùng",
            "19": "Gia-rai",
        },
        "Tinh": {
            "001": "Hà Nội",
            "054": "Phú Yên",
            "064": "Gia Lai",
            "080": "Long An",
            "093": "Hậu Giang",
        },
    },
}
"""Shared catalogues (danh mục dùng chung) by API path piece (``dmdc``), then list code
(``DanToc`` ethnicities, ``Tinh`` provinces), then item code → name."""


def _folded(text: str) -> str:
    """``text`` without case or Vietnamese diacritics, so ``thai`` finds ``Thái``."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def find_list(
    catalogs: Mapping[str, Mapping[str, Mapping[str, str]]], catalog: str, list_code: str
) -> tuple[str, Mapping[str, str]] | None:
    """The list ``list_code`` of ``catalog`` with its canonical code; list codes are matched
    without regard to case (``tinh`` is ``Tinh``)."""
    lists = catalogs.get(catalog, {})
    wanted = list_code.casefold()
    return next(((code, items) for code, items in lists.items() if code.casefold() == wanted), None)


def search_items(items: Mapping[str, str], query: str) -> list[tuple[str, str]]:
    """The items whose name or code contains ``query`` (case and diacritics ignored)."""
    wanted = _folded(query.strip())
    return [(code, name) for code, name in items.items() if wanted in _folded(f"{code} {name}")]


@dataclass(frozen=True, slots=True)
class Citizen:
    """One person in the population database; ``sex`` is ``male`` or ``female``."""

    full_name: str
    birth_date: str
    sex: str
    residence: str

    def __repr__(self) -> str:
        return "Citizen(...)"  # personal data stays out of logs

    def answer(self, personal_id: str) -> dict[str, str]:
        return {
            "soDinhDanh": personal_id,
            "hoVaTen": self.full_name,
            "ngaySinh": self.birth_date,
            "gioiTinh": self.sex,
            "noiThuongTru": self.residence,
        }


@dataclass(frozen=True, slots=True)
class NationalConfig:
    """The simulator's configuration; switches here are where the run starts.

    ``token_lifetime`` (seconds, > 0) is each access token's life, answered as ``expires_in``.
    ``error_rate`` (0..1) of calls fail: ``error_kind="fail"`` answers 503 with
    ``{"error": "temporarily_unavailable"}``, ``error_kind="http"`` a bare HTTP 500; ``down``
    answers every call 503 at once. ``latency`` delays every call (``/token`` included).
    """

    clients: Mapping[str, str]
    token_lifetime: float = 3600.0
    citizens: Mapping[str, Citizen] = field(default_factory=dict)
    catalogs: Mapping[str, Mapping[str, Mapping[str, str]]] = field(
        default_factory=lambda: DEFAULT_CATALOGS
    )
    latency: float = 0.0
    error_rate: float = 0.0
    error_kind: ErrorKind = "fail"
    down: bool = False
    seed: int | None = None

    def __repr__(self) -> str:
        return f"NationalConfig(clients={sorted(self.clients)!r})"  # never the secrets


class StatusOutOfOrder(Exception):
    """A dossier status lower than the last one recorded."""

    def __init__(self, last: int, got: int) -> None:
        super().__init__(f"TrangThaiHoSo {got} is lower than the last recorded {last}")
        self.last = last
        self.got = got


@dataclass(slots=True)
class Dossier:
    """A dossier's sync history on the portal: every distinct status in the order received."""

    dossier_id: str
    procedure: str
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def last_status(self) -> int:
        return int(self.history[-1]["TrangThaiHoSo"]) if self.history else 0

    def answer(self) -> dict[str, Any]:
        return {
            "MaHoSo": self.dossier_id,
            "MaTTHC": self.procedure,
            "TrangThaiHoSo": self.last_status,
            "LichSu": [dict(entry) for entry in self.history],
        }


class NationalState:
    """Everything the simulator holds; one per application, under ``NATIONAL_STATE``."""

    def __init__(self, config: NationalConfig, clock: Callable[[], float] = time.monotonic) -> None:
        if config.token_lifetime <= 0:
            raise ValueError("token_lifetime must be > 0")
        self.config = config
        self.clock = clock
        self.switches = Switches(config.latency, config.error_rate, config.error_kind, config.down)
        self.switches.update({})  # validates the starting values
        self.rng = random.Random(config.seed)
        self.tokens: dict[str, tuple[str, float]] = {}
        self.tokens_issued = 0
        self.dossiers: dict[str, Dossier] = {}

    def inject_error(self) -> bool:
        rate = self.switches.error_rate
        return rate >= 1 or (rate > 0 and self.rng.random() < rate)

    def client_matches(self, client_id: str, secret: str) -> bool:
        expected = self.config.clients.get(client_id)
        return expected is not None and secrets.compare_digest(expected.encode(), secret.encode())

    def issue_token(self, client_id: str) -> str:
        token = secrets.token_urlsafe(24)
        self.tokens[token] = (client_id, self.clock() + self.config.token_lifetime)
        self.tokens_issued += 1
        return token

    def token_client(self, token: str) -> str | None:
        """The client a live token belongs to; expired tokens are forgotten."""
        found = self.tokens.get(token)
        if found is None:
            return None
        client_id, expires_at = found
        if self.clock() >= expires_at:
            del self.tokens[token]
            return None
        return client_id

    def sync(self, dossier_id: str, procedure: str, status: int, body: dict[str, Any]) -> bool:
        """Record ``status``; False when it repeats the last one, ``StatusOutOfOrder`` if lower."""
        dossier = self.dossiers.setdefault(dossier_id, Dossier(dossier_id, procedure))
        if status < dossier.last_status:
            raise StatusOutOfOrder(dossier.last_status, status)
        if status == dossier.last_status:
            return False
        dossier.procedure = procedure
        dossier.history.append({**body, "TrangThaiHoSo": status})
        return True

    def describe(self) -> dict[str, Any]:
        return {
            "switches": self.switches.describe(),
            "tokens_issued": self.tokens_issued,
            "dossiers": {key: d.last_status for key, d in self.dossiers.items()},
        }
