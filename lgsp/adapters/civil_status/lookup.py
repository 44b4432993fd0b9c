"""Civil-status lookups (tra cứu hộ tịch): ``civil_status.lookup`` answered from the Ministry's
records, request-reply.

The answer is English JSON::

    {"record_kind": "birth", "dossier_code", "registration_number", "book_number",
     "page_number", "personal_id"?, "status": "done", "received_at"?, "record": {...the body's
     English fields, as the Ministry holds them...}}

``NOT_FOUND`` when the Ministry knows no such record (code 201); ``FAILED``, with a detail naming
the trouble but no personal data, when it refuses, fails or cannot be reached, or is not
configured. Nothing is retried here: the caller is waiting, and asks again if it wants.

Not for: registrations (the adapter) or the transport (``lgsp.bus``).
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

import structlog

from lgsp.adapters.base import read_envelope
from lgsp.adapters.breaker import CircuitBreakers, CircuitOpen
from lgsp.adapters.civil_status.mapping import MODULE_OF_KIND, from_ministry, result_in_english
from lgsp.adapters.civil_status.ministry import DossierStatus, MinistryClient
from lgsp.bus import Delivery, Reply, ReplyOutcome
from lgsp.errors import DeliveryError, PermanentDeliveryError
from lgsp.schemas import CivilStatusLookup
from lgsp.settings import Settings

__all__ = ["Lookups", "lookup_answer"]

log = structlog.get_logger(__name__)

_MIN_TIMEOUT = 0.1


def lookup_answer(lookup: CivilStatusLookup, found: dict[str, Any]) -> dict[str, Any]:
    """The Ministry's record as the caller reads it."""
    module = MODULE_OF_KIND[lookup.record_kind]
    answer: dict[str, Any] = {"record_kind": lookup.record_kind.value, **result_in_english(found)}
    with contextlib.suppress(KeyError, TypeError, ValueError):  # else no status to tell
        answer["status"] = DossierStatus(int(found["trangThai"])).label
    received = found.get("ngayTiepNhan")
    if isinstance(received, str) and received:
        answer["received_at"] = received
    data = found.get("data")
    answer["record"] = from_ministry(module, data) if isinstance(data, dict) else {}
    return answer


class Lookups:
    def __init__(
        self, settings: Settings, ministry: MinistryClient, breakers: CircuitBreakers
    ) -> None:
        self._settings = settings
        self._ministry = ministry
        self._breakers = breakers

    async def answer(self, delivery: Delivery) -> Reply:
        try:
            envelope = read_envelope(delivery)
        except PermanentDeliveryError:
            return Reply(ReplyOutcome.FAILED, detail="unreadable civil-status lookup")
        lookup = envelope.body
        if not isinstance(lookup, CivilStatusLookup):
            return Reply(ReplyOutcome.FAILED, detail=f"{envelope.type} is not a lookup")
        if not (self._settings.civil_status_url and self._settings.civil_status_unit):
            return Reply(
                ReplyOutcome.FAILED,
                detail="the civil-status system is not configured "
                "(LGSP_CIVIL_STATUS_URL, LGSP_CIVIL_STATUS_UNIT)",
            )
        timeout = self._settings.webhook_timeout
        if envelope.deadline is not None:
            left = (envelope.deadline - datetime.now(UTC)).total_seconds()
            timeout = max(_MIN_TIMEOUT, min(timeout, left))
        url = self._ministry.lookup_url
        try:
            self._breakers.before(url)
            found = await self._ministry.lookup(
                module=MODULE_OF_KIND[lookup.record_kind],
                personal_id=lookup.personal_id,
                registration_number=lookup.registration_number,
                book_number=lookup.book_number,
                registration_place=lookup.registration_place,
                timeout=timeout,
            )
        except DeliveryError as exc:
            if not isinstance(exc, CircuitOpen):
                if isinstance(exc, PermanentDeliveryError):
                    await self._breakers.success(url)
                else:
                    await self._breakers.failure(url)
            log.warning("lookup_failed", code=getattr(exc, "code", None), http=exc.status_code)
            return Reply(ReplyOutcome.FAILED, detail=exc.reason)
        await self._breakers.success(url)
        if found is None:
            log.info("lookup_not_found", kind=lookup.record_kind.value)
            return Reply(ReplyOutcome.NOT_FOUND)
        log.info("lookup_found", kind=lookup.record_kind.value)
        return Reply(ReplyOutcome.FOUND, answer=lookup_answer(lookup, found))
