"""Answering the national axis's lookups: ``national.citizen_lookup`` and
``national.catalog_lookup`` (request-reply, ``POST /v1/requests``).

Each request becomes one call to the national data platform, bounded by the request's deadline
(and the platform call timeout). The reply is ``FOUND`` with the answer in English field names
(``lgsp.adapters.national.answers``), ``NOT_FOUND`` when the platform knows no such record (or the
record disagrees with the name or birth date given), or ``FAILED`` with a detail when the
platform fails, refuses or is down. Nothing the far side does raises out of ``answer``.

A catalogue search that matches nothing is ``FOUND`` with no items; an unknown list or item
code is ``NOT_FOUND``.

Personal data stays out of logs and details: one line per lookup names its type, outcome and
duration; a citizen's details go only into the reply.

Not for: dossier sync (``lgsp.adapters.national.adapter``) or HTTP
(``lgsp.adapters.national.client``).
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import structlog

from lgsp.adapters.base import read_envelope
from lgsp.adapters.national import answers
from lgsp.adapters.national.client import NationalPlatform
from lgsp.bus import Delivery, Reply, ReplyOutcome
from lgsp.errors import PermanentDeliveryError, TransientDeliveryError
from lgsp.logs import mask_text
from lgsp.schemas import CatalogLookup, CitizenLookup, Envelope

__all__ = ["LOOKUP_TYPES", "NationalLookups"]

log = structlog.get_logger(__name__)

LOOKUP_TYPES = ("national.citizen_lookup", "national.catalog_lookup")

_NOT_CONFIGURED = "no national data platform is configured (LGSP_NATIONAL_PLATFORM_URL)"


class NationalLookups:
    """Answers lookups with ``platform``; ``None``: every lookup fails, saying it is not set up."""

    def __init__(self, platform: NationalPlatform | None, *, timeout: float = 10.0) -> None:
        self._platform = platform
        self._timeout = timeout

    async def answer(self, delivery: Delivery) -> Reply:
        started = time.perf_counter()
        try:
            envelope = read_envelope(delivery)
        except PermanentDeliveryError:
            log.warning("national.lookup_unreadable", message_id=delivery.message_id)
            return Reply(ReplyOutcome.FAILED, detail="the request could not be read")
        reply = await self._answer(envelope)
        log.info(
            "national.lookup",
            message_id=envelope.id,
            lookup=envelope.type,
            outcome=reply.outcome.value,
            duration_ms=int((time.perf_counter() - started) * 1000),
            **({"detail": reply.detail} if reply.detail else {}),
        )
        return reply

    async def _answer(self, envelope: Envelope) -> Reply:
        body = envelope.body
        if envelope.type not in LOOKUP_TYPES or not isinstance(body, CitizenLookup | CatalogLookup):
            return _failed(f"the national adapter answers {' and '.join(LOOKUP_TYPES)} only")
        if self._platform is None:
            return _failed(_NOT_CONFIGURED)
        within = self._timeout
        if envelope.deadline is not None:
            within = min(within, (envelope.deadline - datetime.now(UTC)).total_seconds())
        if within <= 0:
            return _failed("the request's deadline passed before the platform was asked")
        try:
            async with asyncio.timeout(within):
                if isinstance(body, CitizenLookup):
                    return await self._citizen(self._platform, body)
                return await self._catalog(self._platform, body)
        except TimeoutError:
            return _failed(f"the national platform did not answer within {within:.1f}s")
        except (TransientDeliveryError, PermanentDeliveryError) as exc:
            return _failed(exc.reason)  # each says what the platform did
        except ValueError as exc:
            return _failed(f"the national platform's answer could not be read: {exc}")

    async def _citizen(self, platform: NationalPlatform, lookup: CitizenLookup) -> Reply:
        raw = await platform.citizen(lookup.personal_id)
        if raw is None:
            return Reply(ReplyOutcome.NOT_FOUND, detail="no citizen with this personal ID number")
        found = answers.citizen(raw)
        if found["personal_id"] != lookup.personal_id:
            raise ValueError("it is about another personal ID number")
        if not answers.same_person(lookup, found):
            # Worded so as not to tell whether the number exists.
            return Reply(
                ReplyOutcome.NOT_FOUND,
                detail="no citizen matches the personal ID number with the name and birth date",
            )
        return Reply(ReplyOutcome.FOUND, found)

    async def _catalog(self, platform: NationalPlatform, lookup: CatalogLookup) -> Reply:
        if lookup.item_code is not None:
            raw = await platform.catalog_item(lookup.catalog, lookup.list_code, lookup.item_code)
            if raw is None:
                return Reply(ReplyOutcome.NOT_FOUND, detail="no such catalogue list or item")
            return Reply(ReplyOutcome.FOUND, answers.catalog_item(lookup, raw))
        assert lookup.query is not None  # the schema gives exactly one of item_code and query
        raw = await platform.catalog_search(lookup.catalog, lookup.list_code, lookup.query)
        if raw is None:
            return Reply(ReplyOutcome.NOT_FOUND, detail="no such catalogue list")
        return Reply(ReplyOutcome.FOUND, answers.catalog_search(lookup, raw))


def _failed(detail: str) -> Reply:
    return Reply(ReplyOutcome.FAILED, detail=mask_text(detail))
