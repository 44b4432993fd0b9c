"""Admission of lookups (request-reply types, ``POST /v1/requests``).

A lookup is checked as a message is (the caller's right to the type, then the body's schema), and
more: it names no recipients (its axis knows where it goes), and its wait is the caller's
``deadline``, bounded by ``LGSP_REQUEST_MAX_TIMEOUT``. A message type is told where it belongs
rather than which of its fields are missing.

Not for: asking (the bus's request-reply) or answering (an ``lgsp.adapters.Answerer``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import ValidationError

from lgsp.errors import MalformedRequest, ValidationFailed
from lgsp.intake.admission import check_right, type_of
from lgsp.intake.fields import field_errors
from lgsp.journal import System
from lgsp.schemas import MESSAGE_TYPES, SUBMISSION, Submission

__all__ = ["Lookup", "admit_lookup"]


@dataclass(frozen=True, slots=True)
class Lookup:
    """A lookup that passed every check, ready to be asked."""

    type: str
    payload: bytes
    """The caller's bytes, as adapters read them (``read_envelope``)."""
    within: float
    """Seconds to wait for the answer."""
    deadline: datetime
    """When nobody waits for the answer any more."""


def admit_lookup(
    system: System, raw: bytes, *, now: datetime, default_wait: float, max_wait: float
) -> Lookup:
    """The lookup in ``raw``; 400/403/422 errors name what is wrong."""
    try:
        submission: Submission = SUBMISSION.validate_json(raw)
    except ValidationError as exc:
        errors = field_errors(exc)
        if any(e["type"] == "json_invalid" for e in errors):
            raise MalformedRequest(
                f"the body is not valid JSON: {errors[0]['msg']}", errors
            ) from exc
        # A caller learns nothing about a type's schema until it may send that type; a message
        # type is told where it goes rather than which of its fields are missing.
        message_type = type_of(raw)
        if message_type in MESSAGE_TYPES:
            check_right(system, message_type)
            if not MESSAGE_TYPES[message_type].request_reply:
                raise _not_a_lookup(message_type) from exc
        raise ValidationFailed(
            f"the request does not match its schema ({len(errors)} error(s))", errors
        ) from exc
    check_right(system, submission.type)
    if not submission.request_reply:
        raise _not_a_lookup(submission.type)
    if submission.recipients:
        raise ValidationFailed(
            "a lookup names no recipients: its axis knows where it goes",
            [{"loc": ["recipients"], "msg": "leave it out", "type": "recipients_not_allowed"}],
        )
    within = default_wait
    if submission.deadline is not None:
        left = (submission.deadline - now).total_seconds()
        if left <= 0:
            raise ValidationFailed(
                "the deadline has already passed",
                [{"loc": ["deadline"], "msg": "must be in the future", "type": "deadline_passed"}],
            )
        within = min(left, max_wait)
    return Lookup(submission.type, raw, within, now + timedelta(seconds=within))


def _not_a_lookup(message_type: str) -> ValidationFailed:
    return ValidationFailed(
        f"{message_type} is not answered synchronously: POST it to /v1/messages",
        [{"loc": ["type"], "msg": "not a request-reply type", "type": "not_request_reply"}],
    )
