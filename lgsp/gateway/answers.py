"""The gateway's answers, described as models for its OpenAPI document (``lgsp.gateway.openapi``).

The handlers write plain dicts; these models only describe them, and a test holds the two together
by checking live answers against the document. ``REQUESTS`` are the operators' request bodies,
``ANSWERS`` every answer the document names.

Not for: building answers (the handlers do) or validating requests (``lgsp.schemas``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from lgsp.gateway.ops import DiscardRequest, ReplayFilter

__all__ = [
    "ANSWERS",
    "REQUESTS",
    "Accepted",
    "Acked",
    "DeadLetter",
    "DeadLetterDetail",
    "DeadLetters",
    "DeliveryAttempt",
    "Discarded",
    "Endpoints",
    "FieldProblem",
    "Health",
    "Inbox",
    "InboxItem",
    "Leg",
    "LookupAnswer",
    "MessageEvent",
    "MessageView",
    "Problem",
    "Readiness",
    "Replayed",
    "ReplayedCount",
]


class _Answer(BaseModel):
    """An answer's description. Open to new fields: the API adds fields, never renames them."""


class Accepted(_Answer):
    """The message is in the journal and confirmed by the broker."""

    id: str
    status: Literal["accepted"]


class MessageEvent(_Answer):
    status: str = Field(description="`queued`, `delivered`, an edXML status code `01`..`16`...")
    at: datetime
    recipient: str | None = Field(None, description="Absent when the event is the message's.")
    detail: dict[str, Any] | None = None


class Leg(BaseModel):
    """One part of a joined civil-status procedure (LTKS, LTKT)."""

    model_config = ConfigDict(extra="allow")
    leg: str
    state: str | None = Field(None, description="`pending`, `registered`, `done`, `refused`...")
    at: datetime
    result: dict[str, Any] | None = None
    reason: str | None = None
    code: str | int | None = None


class MessageView(_Answer):
    """A message as its sender and recipients may see it, with every status change."""

    id: str
    type: str
    sender: str
    recipients: list[str]
    correlation_id: str | None
    status: str
    created_at: datetime
    events: list[MessageEvent]
    legs: list[Leg] | None = Field(None, description="Only for joined civil-status procedures.")


class LookupAnswer(_Answer):
    """A lookup's answer; "no such record" is an answer too (`found: false`)."""

    id: str
    type: str
    found: bool
    answer: dict[str, Any] | None


class InboxItem(_Answer):
    id: str
    type: str
    sender: str
    created_at: datetime
    content_type: Literal["application/json", "application/xml"]
    package: str | None = Field(None, description="The edXML package, base64 (edXML systems).")
    envelope: dict[str, Any] | None = Field(None, description="The envelope (JSON systems).")


class Inbox(_Answer):
    items: list[InboxItem]


class Acked(_Answer):
    id: str
    status: Literal["acked"]


class FieldProblem(_Answer):
    loc: list[str | int] = Field(description="Where, from the body's root (or `header`, `query`).")
    msg: str
    type: str


class Problem(BaseModel):
    """RFC 9457 problem details: every error the gateway answers."""

    model_config = ConfigDict(extra="allow")
    type: str = Field(description="A URI naming the kind of problem.")
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] | None = Field(None, description="For 4xx on a request's content.")


class Health(_Answer):
    status: Literal["ok"]


class Readiness(_Answer):
    status: Literal["ready", "unavailable", "draining"]
    checks: dict[str, Literal["up", "down"]]


class DeadLetter(_Answer):
    id: str
    type: str
    sender: str
    recipients: list[str]
    created_at: datetime
    parked_at: datetime
    reason: str | None
    attempts: int
    last_error: str | None


class DeadLetters(_Answer):
    items: list[DeadLetter]
    next: str | None = Field(description="Pass as `after` for the next page; null on the last.")


class DeliveryAttempt(_Answer):
    at: datetime
    recipient: str
    target: str
    outcome: Literal["delivered", "failed"]
    status_code: int | None
    error: str | None
    duration_ms: int


class DeadLetterDetail(DeadLetter):
    attempt_log: list[DeliveryAttempt]
    events: list[MessageEvent]


class Replayed(_Answer):
    id: str
    status: Literal["replayed"]


class Discarded(_Answer):
    id: str
    status: Literal["discarded"]


class ReplayedCount(_Answer):
    replayed: int


class Endpoints(_Answer):
    items: list[dict[str, Any]] = Field(description="Each endpoint's circuit breaker.")


REQUESTS: tuple[tuple[str, type[BaseModel]], ...] = (
    ("DiscardRequest", DiscardRequest),
    ("ReplayFilter", ReplayFilter),
)
ANSWERS: tuple[type[BaseModel], ...] = (
    Accepted,
    MessageView,
    LookupAnswer,
    Inbox,
    Acked,
    Problem,
    Health,
    Readiness,
    DeadLetters,
    DeadLetterDetail,
    Replayed,
    Discarded,
    ReplayedCount,
    Endpoints,
)
