"""The Ministry of Justice's civil-status service (hộ tịch) as the adapter calls it.

Three calls, each a JSON ``POST`` with the province's API key in ``civil_status_api_key_header``:

- ``/hotich/1.0/dangKyHoTich`` ``{maDonVi, module, maHoSo, ngayTiepNhan, data}`` registers; it
  answers ``{maHoSo, soDangKy, quyenSo, trangSo, soDinhDanh?}``. ``maHoSo`` comes from the message
  id (``dossier_code``), so a resend after a lost answer gets the first result, never a second
  registration.
- ``/hotich/1.0/traTrangThaiHoSo`` ``{maDonVi, maHoSo}`` says where the dossier stands
  (``DossierStatus``).
- ``/hotich/1.0/traCuuHoTich`` ``{maDonVi, module, soDinhDanh?, soDangKy?, quyenSo?, noiDangKy?}``
  finds a registered record (code 201: none).

What the answers' codes mean is ``lgsp.adapters.civil_status.wire``'s to say.

Not for: the names inside ``data`` (``.mapping``), or deciding what to do about a failure (the
adapter).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from lgsp.adapters.civil_status.mapping import result_in_english
from lgsp.adapters.civil_status.wire import (
    ServiceAnswer,
    ServiceTrouble,
    call_service,
    raise_for_code,
)
from lgsp.settings import Settings

__all__ = ["SERVICE", "DossierStatus", "MinistryClient", "dossier_code", "received_at"]

SERVICE = "the civil-status system"
"""How reasons name the Ministry's service."""

_VIETNAM = timezone(timedelta(hours=7), "ICT")
_NOT_FOUND = 201


class DossierStatus(enum.IntEnum):
    """``traTrangThaiHoSo``'s ``trangThai``: where a registration stands at the Ministry."""

    ERROR = 0
    """lỗi: the Ministry ended the dossier in error; nothing more will come of it"""
    RECEIVED = 1
    """đã tiếp nhận"""
    NEEDS_MORE_PAPERS = 2
    """cần bổ sung giấy tờ: the requester has papers to bring"""
    ELIGIBLE = 3
    """đủ điều kiện"""
    DONE = 4
    """đã hoàn thành"""

    @property
    def label(self) -> str:
        return self.name.lower()

    @property
    def final(self) -> bool:
        return self in (DossierStatus.DONE, DossierStatus.ERROR)


def dossier_code(message_id: str) -> str:
    """``maHoSo`` of a message's registration: the same for every attempt at it."""
    return f"LGSP-{message_id}"


def received_at(moment: datetime) -> str:
    """``ngayTiepNhan``: when the platform accepted the request, Vietnam time."""
    return moment.astimezone(_VIETNAM).strftime("%d/%m/%Y %H:%M:%S")


@dataclass(frozen=True, slots=True)
class MinistryClient:
    http: httpx.AsyncClient
    base_url: str
    unit: str
    api_key: str
    api_key_header: str = "X-API-Key"
    timeout: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings, http: httpx.AsyncClient) -> MinistryClient:
        return cls(
            http,
            settings.civil_status_url.rstrip("/"),
            settings.civil_status_unit,
            settings.civil_status_api_key,
            settings.civil_status_api_key_header,
            settings.webhook_timeout,
        )

    @property
    def register_url(self) -> str:
        return f"{self.base_url}/hotich/1.0/dangKyHoTich"

    @property
    def status_url(self) -> str:
        return f"{self.base_url}/hotich/1.0/traTrangThaiHoSo"

    @property
    def lookup_url(self) -> str:
        return f"{self.base_url}/hotich/1.0/traCuuHoTich"

    async def _call(
        self,
        url: str,
        body: dict[str, Any],
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - a per-call HTTP timeout
    ) -> ServiceAnswer:
        return await call_service(
            self.http,
            url,
            service=SERVICE,
            body={"maDonVi": self.unit, **body},
            headers={self.api_key_header: self.api_key},
            timeout=timeout or self.timeout,
        )

    async def register(
        self, *, module: str, dossier: str, received: datetime, data: dict[str, Any]
    ) -> dict[str, Any]:
        """Register; returns the results in English (``personal_id`` for a birth, the register's
        ``registration_number``, ``book_number``, ``page_number``, and ``dossier_code``)."""
        url = self.register_url
        answer = await self._call(
            url,
            {
                "module": module,
                "maHoSo": dossier,
                "ngayTiepNhan": received_at(received),
                "data": data,
            },
        )
        raise_for_code(answer, service=SERVICE, target=url)
        if not isinstance(answer.data, dict) or not answer.data.get("soDangKy"):
            raise ServiceTrouble(f"{SERVICE} answered without a registration number", target=url)
        return {"dossier_code": dossier, **result_in_english(answer.data)}

    async def status(self, dossier: str) -> DossierStatus:
        url = self.status_url
        answer = await self._call(url, {"maHoSo": dossier})
        raise_for_code(answer, service=SERVICE, target=url)
        try:
            return DossierStatus(int(answer.data["trangThai"]))
        except (TypeError, KeyError, ValueError) as exc:
            raise ServiceTrouble(f"{SERVICE} answered an unknown status", target=url) from exc

    async def lookup(
        self,
        *,
        module: str,
        personal_id: str | None,
        registration_number: str | None,
        book_number: str | None,
        registration_place: str | None,
        timeout: float | None = None,  # noqa: ASYNC109 - a per-call HTTP timeout
    ) -> dict[str, Any] | None:
        """The record as the Ministry holds it (its names), or ``None`` when there is none."""
        url = self.lookup_url
        keys = {
            "soDinhDanh": personal_id,
            "soDangKy": registration_number,
            "quyenSo": book_number,
            "noiDangKy": registration_place,
        }
        body = {"module": module, **{k: v for k, v in keys.items() if v is not None}}
        answer = await self._call(url, body, timeout=timeout)
        if answer.code == _NOT_FOUND:
            return None
        raise_for_code(answer, service=SERVICE, target=url)
        if not isinstance(answer.data, dict):
            raise ServiceTrouble(f"{SERVICE} answered a lookup without a record", target=url)
        return answer.data
