"""Dead letters: messages the platform could not deliver, kept with their reason for operators.

The journal is where operators read them: every parked message is ``dead`` there with its
reason, attempts and last error, whether an adapter parked it or the broker dead-lettered it at the
queue's delivery limit (``DeadLetterKeeper`` drains the broker's dead-letter queue into the
journal). A replay republishes the message from the journal under the same id, keeping its
history; recipients that already have it are not sent it again. A discard is recorded with who
discarded it and why. Both act only on a message that is ``dead`` at that moment, atomically, so
two operators cannot replay one message twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog

from lgsp.bus import PARK_REASON_HEADER, Bus, Delivery, OutgoingMessage
from lgsp.errors import BrokerUnavailable, NotFound
from lgsp.intake.recovery import outgoing_from_record
from lgsp.journal import IN_FLIGHT, Attempt, Event, Journal, MessageRecord, MessageStatus

__all__ = ["DeadLetter", "DeadLetterKeeper", "DeadLetters", "NotDead"]

log = structlog.get_logger(__name__)


class NotDead(NotFound):
    """No dead letter with that id (never was, or already replayed or discarded)."""


@dataclass(frozen=True, slots=True)
class DeadLetter:
    message: MessageRecord
    reason: str | None
    attempts: tuple[Attempt, ...] = ()

    def view(self) -> dict[str, Any]:
        m = self.message
        last = self.attempts[-1] if self.attempts else None
        return {
            "id": m.id,
            "type": m.type,
            "sender": m.sender,
            "recipients": list(m.recipients),
            "created_at": m.created_at.isoformat(),
            "parked_at": m.updated_at.isoformat(),
            "reason": self.reason,
            "attempts": len(self.attempts),
            "last_error": last.error if last else None,
        }


def _reason(message: MessageRecord) -> str | None:
    for event in reversed(message.events):
        if event.status == MessageStatus.DEAD and event.detail:
            return str(event.detail.get("reason"))
    return None


class DeadLetters:
    def __init__(self, journal: Journal, bus: Bus) -> None:
        self._journal = journal
        self._bus = bus

    async def list(
        self,
        *,
        type: str | None = None,
        sender: str | None = None,
        after: str | None = None,
        limit: int = 100,
    ) -> list[DeadLetter]:
        found = await self._journal.find(
            status=MessageStatus.DEAD, type=type, sender=sender, after=after, limit=limit
        )
        letters = []
        for message in found:
            full = await self._journal.get(message.id)
            if full is not None:
                letters.append(DeadLetter(full, _reason(full)))
        return letters

    async def show(self, message_id: str) -> DeadLetter:
        message = await self._journal.get(message_id)
        if message is None or message.status != MessageStatus.DEAD:
            raise NotDead(f"no dead letter {message_id}")
        attempts = tuple(await self._journal.attempts(message_id))
        return DeadLetter(message, _reason(message), attempts)

    async def replay(self, message_id: str, *, operator: str) -> None:
        """Publish the dead message again, same id, history kept; ``NotDead`` if it is not."""
        message = await self._journal.get(message_id)
        if message is None:
            raise NotDead(f"no dead letter {message_id}")
        event = Event(MessageStatus.REPLAYED, _now(), detail={"operator": operator})
        moved = await self._journal.transition(
            message_id, from_status=MessageStatus.DEAD, event=event
        )
        if not moved:
            raise NotDead(f"message {message_id} is {message.status}, not dead")
        try:
            await self._bus.publish(await self._outgoing(message))
        except BrokerUnavailable as exc:
            back = Event(MessageStatus.DEAD, _now(), detail={"reason": f"replay failed: {exc}"})
            await self._journal.transition(
                message_id, from_status=MessageStatus.REPLAYED, event=back
            )
            raise
        log.info("dead_letter_replayed", message_id=message_id, operator=operator)

    async def replay_matching(
        self,
        *,
        operator: str,
        type: str | None = None,
        sender: str | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> int:
        """Replay every dead letter matching the filter; ``progress(done, total)`` as it goes."""
        targets: list[str] = []
        after: str | None = None
        while batch := await self._journal.find(
            status=MessageStatus.DEAD, type=type, sender=sender, after=after, limit=500
        ):
            targets += [m.id for m in batch]
            after = batch[-1].id
        replayed = 0
        for done, message_id in enumerate(targets, start=1):
            try:
                await self.replay(message_id, operator=operator)
                replayed += 1
            except NotDead:
                pass  # replayed or discarded meanwhile
            if progress is not None:
                progress(done, len(targets))
        return replayed

    async def discard(self, message_id: str, *, operator: str, reason: str) -> None:
        """Give the message up for good, recording who did and why."""
        event = Event(
            MessageStatus.DISCARDED, _now(), detail={"operator": operator, "reason": reason}
        )
        moved = await self._journal.transition(
            message_id, from_status=MessageStatus.DEAD, event=event
        )
        if not moved:
            raise NotDead(f"no dead letter {message_id}")
        log.info("dead_letter_discarded", message_id=message_id, operator=operator)

    async def _outgoing(self, message: MessageRecord) -> OutgoingMessage:
        payload = await self._journal.payload(message.id) or b""
        # The deadline is not carried over: an operator who replays wants it tried now.
        return outgoing_from_record(message, payload, replay=True)


class DeadLetterKeeper:
    """Drains the broker's dead-letter queue into the journal.

    Messages an adapter parked are ``dead`` in the journal already; one the broker dead-lettered
    at the queue's delivery limit (a handler that kept crashing) is recorded ``dead`` here, with
    the broker's reason. Either way the journal holds it (payload included), so the broker's copy
    is acknowledged and the queue stays short.
    """

    def __init__(self, journal: Journal) -> None:
        self._journal = journal

    async def handle(self, delivery: Delivery) -> None:
        message = await self._journal.get(delivery.message_id)
        if message is None or not _in_flight(message):
            return
        reason = str(delivery.headers.get(PARK_REASON_HEADER) or _broker_reason(delivery))
        event = Event(MessageStatus.DEAD, _now(), detail={"reason": reason, "by": "broker"})
        await self._journal.transition(message.id, from_status=message.status, event=event)
        log.warning("dead_lettered_by_broker", message_id=message.id, reason=reason)


def _in_flight(message: MessageRecord) -> bool:
    """Whether an adapter still had work to do on ``message``: a civil-status registration is
    ``delivered`` once the Ministry holds it, and its legs and status are followed until ``done``,
    so the broker dead-lettering it then leaves work undone."""
    if message.status == MessageStatus.DELIVERED and message.type.startswith("civil_status."):
        return True
    return message.status in IN_FLIGHT


def _broker_reason(delivery: Delivery) -> str:
    deaths = delivery.headers.get("x-death")
    if isinstance(deaths, list) and deaths and isinstance(deaths[0], dict):
        first = deaths[0]
        return f"{first.get('reason', 'dead-lettered')} in {first.get('queue', 'a work queue')}"
    return str(delivery.headers.get("x-first-death-reason", "dead-lettered by the broker"))


def _now() -> datetime:
    return datetime.now(UTC)
