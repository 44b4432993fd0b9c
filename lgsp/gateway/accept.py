"""The accept path: validate, check rights, journal, publish with confirm. Nothing HTTP here.

A message is accepted only when both the journal has its row and the broker has confirmed it; the
two writes run side by side. If the broker fails, the row is marked ``rejected`` (and its
idempotency key freed) before the caller hears 503, so the journal never shows as accepted what was
not. If the journal fails, the broker may hold a message without a row: adapters drop those
(``lgsp.adapters.base.accepted_record``), since its sender was told 503.

The body is validated once, from the raw bytes, and those same bytes go to the broker: no
parse-dump-parse on the hot path.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from pydantic import BaseModel, ConfigDict, ValidationError

from lgsp.bus import Bus, OutgoingMessage
from lgsp.errors import (
    BrokerUnavailable,
    IdempotencyConflict,
    JournalUnavailable,
    NotPermitted,
    ValidationFailed,
)
from lgsp.gateway.problems import MalformedRequest, field_errors
from lgsp.ids import new_message_id
from lgsp.journal import IdempotencyClash, Journal, MessageRecord, NewMessage, System
from lgsp.schemas import MESSAGE_TYPES, SUBMISSION, Submission

__all__ = ["Accepted", "Acceptor", "envelope_headers"]

log = structlog.get_logger(__name__)


class _TypeOnly(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: str


@dataclass(frozen=True, slots=True)
class Accepted:
    id: str
    status: str
    replayed: bool = False


def envelope_headers(
    system: System, submission: Submission, created_at: datetime
) -> dict[str, object]:
    """The envelope fields the gateway adds, carried as AMQP headers beside the caller's bytes."""
    headers: dict[str, object] = {
        "x-lgsp-sender": system.agency,
        "x-lgsp-sender-system": system.id,
        "x-lgsp-recipients": list(submission.recipients),
        "x-lgsp-created-at": created_at.isoformat(),
        "x-lgsp-priority": submission.priority,
    }
    if submission.deadline is not None:
        headers["x-lgsp-deadline"] = submission.deadline.isoformat()
    return headers


class Acceptor:
    """Takes a caller's raw message and either accepts it durably or raises an ``LGSPError``."""

    def __init__(self, bus: Bus, journal: Journal, *, journal_timeout: float = 5.0) -> None:
        self._bus = bus
        self._journal = journal
        self._journal_timeout = journal_timeout

    def validate(self, system: System, raw: bytes) -> Submission:
        """The submission in ``raw``; 400/403/422 errors name what is wrong."""
        try:
            submission: Submission = SUBMISSION.validate_json(raw)
        except ValidationError as exc:
            errors = field_errors(exc)
            if any(e["type"] == "json_invalid" for e in errors):
                raise MalformedRequest(
                    f"the body is not valid JSON: {errors[0]['msg']}", errors
                ) from exc
            self._check_right_from_raw(system, raw)
            raise ValidationFailed(
                f"the message does not match its schema ({len(errors)} error(s))", errors
            ) from exc
        self._check_right(system, submission.type)
        if submission.request_reply:
            raise ValidationFailed(
                f"{submission.type} is answered synchronously: POST it to /v1/requests",
                [{"loc": ["type"], "msg": "a request-reply type", "type": "request_reply_type"}],
            )
        return submission

    def _check_right(self, system: System, message_type: str) -> None:
        if message_type not in system.may_send:
            raise NotPermitted(f"system {system.id!r} may not send {message_type!r}")

    def _check_right_from_raw(self, system: System, raw: bytes) -> None:
        # A caller learns nothing about a type's schema until it may send that type.
        try:
            message_type = _TypeOnly.model_validate_json(raw).type
        except ValidationError:
            return
        if message_type in MESSAGE_TYPES:
            self._check_right(system, message_type)

    async def accept(
        self, system: System, raw: bytes, *, idempotency_key: str | None = None
    ) -> Accepted:
        submission = self.validate(system, raw)
        request_hash = hashlib.sha256(raw).hexdigest() if idempotency_key else None
        if idempotency_key:
            earlier = await self._journal.find_idempotent(system.id, idempotency_key)
            if earlier is not None:
                return self._replay(earlier, request_hash)
        now = datetime.now(UTC)
        message_id = new_message_id()
        structlog.contextvars.bind_contextvars(message_id=message_id)
        record = NewMessage(
            id=message_id,
            type=submission.type,
            sender=system.agency,
            sender_system=system.id,
            recipients=tuple(submission.recipients),
            created_at=now,
            payload=raw,
            priority=submission.priority,
            correlation_id=submission.correlation_id,
            deadline=submission.deadline,
            idempotency_key=idempotency_key,
            request_hash=request_hash,
        )
        outgoing = OutgoingMessage(
            message_id=message_id,
            routing_key=submission.type,
            body=raw,
            type=submission.type,
            headers=envelope_headers(system, submission, now),
            correlation_id=submission.correlation_id,
            timestamp=now,
        )
        # The journal write and the broker's confirm proceed side by side: the caller waits for
        # the slower of the two, not for both in turn. Accepted means both succeeded.
        journaled = asyncio.ensure_future(self._journal.accept(record))
        try:
            await self._bus.publish(outgoing)
        except BrokerUnavailable as exc:
            await self._unaccept(journaled, message_id, str(exc))
            raise
        except BaseException:
            await self._unaccept(journaled, message_id, "the request was abandoned")
            raise
        try:
            async with asyncio.timeout(self._journal_timeout):
                await asyncio.shield(journaled)
        except IdempotencyClash:
            # Another request with this key won the race a moment ago; the copy just published
            # has no journal row, and adapters drop such messages.
            assert idempotency_key is not None
            earlier = await self._journal.find_idempotent(system.id, idempotency_key)
            if earlier is None:
                raise JournalUnavailable("the idempotency record vanished; retry") from None
            return self._replay(earlier, request_hash)
        except TimeoutError:
            raise JournalUnavailable(
                f"the journal did not record the message within {self._journal_timeout}s"
            ) from None
        self._journal.queued(message_id)
        return Accepted(message_id, "accepted")

    async def _unaccept(
        self, journaled: asyncio.Future[None], message_id: str, reason: str
    ) -> None:
        """The broker did not take the message: undo the journal row, once it is written."""
        try:
            await asyncio.shield(journaled)
        except Exception:
            return  # nothing was recorded: nothing to undo
        try:
            await self._journal.reject(message_id, reason)
        except JournalUnavailable as exc:
            # Both the broker and the journal are failing; the caller still hears 503. The row
            # stays "accepted" with no broker message: operators find it by its lone event.
            log.error("reject_not_recorded", message_id=message_id, error=str(exc))

    @staticmethod
    def _replay(earlier: MessageRecord, request_hash: str | None) -> Accepted:
        if earlier.request_hash != request_hash:
            raise IdempotencyConflict(
                f"Idempotency-Key was used for another request (message {earlier.id})"
            )
        return Accepted(earlier.id, "accepted", replayed=True)
