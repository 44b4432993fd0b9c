"""Keeping a dossier's statuses in order on their way to the public service portal.

The portal keeps one history per dossier (``MaHoSo``) and refuses a status lower than the last
it recorded, so statuses must reach it in the order the one-stop-shop system sent them, even
when an earlier one is retrying and across adapter restarts. The gateway records an order key
with each ``national.dossier_sync`` message when it accepts it (``dossier:<MaHoSo>``); before a
status is sent, the journal is asked whether a message with that key accepted earlier is still
unsettled (not delivered, dead, discarded or rejected). If one is, this status waits: it goes
back to the broker for a short delay and asks again, holding no consumer. A status dead for good
holds nothing back; an operator's replay makes it unsettled again.

How long to wait follows the one waited for: a message still on its first way through (accepted,
queued, replayed) is looked at again after ``wait`` seconds; one retrying is looked at again
just after its next try is due (at most ``max_wait`` seconds from now).

Not for: sending statuses (``lgsp.adapters.national.adapter``) or the journal's query itself
(``Journal.first_unsettled_before``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lgsp.journal import Journal, MessageRecord, MessageStatus

__all__ = ["StatusOrder"]


class StatusOrder:
    """Tells whether a message must wait for an earlier one with its order key, and how long."""

    def __init__(
        self,
        journal: Journal,
        *,
        wait: float = 0.25,
        max_wait: float = 30.0,
        orphaned_after: float = 10.0,
    ) -> None:
        self._journal = journal
        self._wait = wait
        self._max_wait = max(max_wait, wait)
        self._orphaned_after = orphaned_after
        """Seconds after which a row the broker never confirmed holds nothing back: the
        gateway's bound on a request's life between journal and broker."""

    async def blocker(self, record: MessageRecord) -> MessageRecord | None:
        """The earliest message accepted before ``record`` with its order key and not yet
        settled, or ``None`` when ``record`` may go now."""
        if record.order_key is None:
            return None
        return await self._journal.first_unsettled_before(
            record.order_key,
            record.id,
            orphaned_before=_now() - timedelta(seconds=self._orphaned_after),
        )

    async def delay(self, blocker: MessageRecord) -> float:
        """Seconds to wait before asking again whether ``blocker`` has settled."""
        if blocker.status != MessageStatus.RETRYING:
            return self._wait
        full = await self._journal.get(blocker.id)
        next_at = _next_try(full) if full is not None else None
        if next_at is None:
            return self._wait
        due = (next_at - _now()).total_seconds() + self._wait
        return min(max(due, self._wait), self._max_wait)


def _next_try(record: MessageRecord) -> datetime | None:
    for event in reversed(record.events):
        if event.status == MessageStatus.RETRYING and event.detail and "next_at" in event.detail:
            try:
                return datetime.fromisoformat(str(event.detail["next_at"]))
            except ValueError:
                return None
    return None


def _now() -> datetime:
    return datetime.now(UTC)
