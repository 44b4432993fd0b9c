"""The journal's vocabulary: the statuses a message takes and the marks its history carries.

Every value here is the exact text the journal stores (``messages.status``, ``events.status``) and
the API shows; the members are ``StrEnum`` so they compare equal to that text and serialise as it,
while a typo in code becomes a type error. ``event_status`` turns an event's stored text back into
the member it names.

Not for: the far sides' vocabularies (edXML status codes ``01``–``16`` in ``lgsp.schemas``, the
civil-status legs' ``LegState`` in ``lgsp.adapters.civil_status.legs``, the simulators' own words)
or deciding which status comes next (the gateway, the adapters and the operators' tools do).
"""

from __future__ import annotations

import enum

__all__ = [
    "IN_FLIGHT",
    "SETTLED",
    "EventStatus",
    "HistoryMark",
    "LegState",
    "MessageStatus",
    "RecipientState",
    "event_status",
]


class MessageStatus(enum.StrEnum):
    """Where a message as a whole stands (``messages.status``)::

        accepted ──▶ queued ──▶ retrying ──▶ delivered ──▶ done
            │                      │
            ▼                      ▼
        rejected                 dead ──▶ discarded
                                 │  ▲
                                 ▼  │
                               replayed ──▶ on its way again, as from queued

    Steps may be skipped: a message goes from any status on its way (``IN_FLIGHT``) straight to
    ``delivered`` or ``dead`` (``queued`` is written only over ``accepted``, so a late broker
    confirm never overrides an adapter). A civil-status registration is ``delivered`` while the
    Ministry holds it and is followed on, through ``retrying`` again if a leg fails, to ``done``
    or ``dead``. A document is ``done`` once every recipient reported ``06``, and ``revoked``
    whenever its sender revokes it.
    """

    ACCEPTED = "accepted"
    """Journaled by the gateway, not yet confirmed by the broker. A row left ``accepted`` past the
    longest a request can take belongs to a gateway that died before the broker had it."""
    QUEUED = "queued"
    """The broker confirmed it (noted in the background; never over a later status)."""
    RETRYING = "retrying"
    """A delivery failed for now (or waits for an open circuit); the message waits in a delay
    queue until the event's ``next_at``."""
    REPLAYED = "replayed"
    """An operator replayed it from dead letters: republished under the same id, history kept."""
    DELIVERED = "delivered"
    """Every recipient has it (in its webhook or its inbox, or the portal took the status); a
    civil-status registration: the Ministry holds it, and its legs are followed on."""
    DONE = "done"
    """Finished for the business too: every recipient of a document reported ``06`` (done), or
    every leg of a civil-status request is done."""
    DEAD = "dead"
    """Parked in dead letters with its reason, by an adapter or by the broker at the queue's
    delivery limit; waits for an operator's replay or discard."""
    REJECTED = "rejected"
    """The broker did not take it: never accepted (the caller got 503), its idempotency key freed,
    invisible to the API."""
    DISCARDED = "discarded"
    """An operator gave the dead letter up for good, saying why."""
    REVOKED = "revoked"
    """The document's sender took it back with a ``document.revoke``."""


IN_FLIGHT: frozenset[MessageStatus] = frozenset(
    {
        MessageStatus.ACCEPTED,
        MessageStatus.QUEUED,
        MessageStatus.RETRYING,
        MessageStatus.REPLAYED,
    }
)
"""Statuses of a message on its way to its recipients: accepted, not yet delivered, parked or
refused."""

SETTLED: frozenset[MessageStatus] = frozenset(
    {
        MessageStatus.DELIVERED,
        MessageStatus.DONE,
        MessageStatus.DEAD,
        MessageStatus.REJECTED,
        MessageStatus.DISCARDED,
    }
)
"""Statuses after which a message no longer holds back later ones with its order key: it was
delivered, given up (an operator's replay makes it ``replayed``, unsettled, again), or never
accepted. ``revoked`` is in neither set: only documents are revoked, and they carry no order
key."""


class RecipientState(enum.StrEnum):
    """Where a message stands for one recipient: an event with ``recipient`` set."""

    DELIVERED = "delivered"
    """The recipient has it: its last system's webhook answered 2xx, the message is in its last
    system's inbox, or the far side (national axis, portal) took it. Never sent it again."""
    FAILED = "failed"
    """An attempt failed for now (timeout, 5xx, refused connection); it is tried again."""
    REFUSED = "refused"
    """Refused for good (a 4xx, an unknown agency): not tried again until an operator replays
    the message."""
    INBOXED = "inboxed"
    """Put in a system's pull inbox (``GET /v1/inbox``), which has no webhook."""
    ACKED = "acked"
    """The system took the message out of its inbox (``POST /v1/inbox/{id}/ack``)."""


class HistoryMark(enum.StrEnum):
    """Events of the whole message that note a step without changing its status."""

    LEG = "leg"
    """A civil-status leg's state: ``{leg, state, result?, reason?, code?, ministry_status?}``
    (``lgsp.adapters.civil_status.legs``)."""
    WAITING = "waiting"
    """A dossier status waits for an earlier one of its dossier to settle: ``{behind, reason}``
    (``lgsp.adapters.national.ordering``), written once per message and blocker."""


EventStatus = MessageStatus | RecipientState | HistoryMark | str
"""What an event's ``status`` holds. Plain ``str`` for the open vocabularies: the Ministry's
statuses (``ministry.<status>``) and the edXML business status codes ``01``–``16`` a recipient
reports on a document."""

_FOR_MESSAGE: dict[str, EventStatus] = {
    **{s.value: s for s in RecipientState},
    **{s.value: s for s in HistoryMark},
    **{s.value: s for s in MessageStatus},
}
_FOR_RECIPIENT: dict[str, EventStatus] = {
    **{s.value: s for s in HistoryMark},
    **{s.value: s for s in MessageStatus},
    **{s.value: s for s in RecipientState},
}


def event_status(text: str, *, recipient: str | None = None) -> EventStatus:
    """The member an event's stored ``text`` names, or ``text`` itself for an open vocabulary.

    ``delivered`` names both a message's and a recipient's status: an event with a recipient is
    read as the recipient's.
    """
    return (_FOR_RECIPIENT if recipient else _FOR_MESSAGE).get(text, text)


class LegState(enum.StrEnum):
    """Where one leg of a joined civil-status procedure stands, as its ``leg`` events record it
    (``lgsp.adapters.civil_status.legs`` draws the transitions)."""

    PENDING = "pending"
    """Not called yet, or called without an answer that counts."""
    REGISTERED = "registered"
    """The Ministry has the dossier; its status is followed until it is final."""
    DONE = "done"
    """Finished at the far side; never called again."""
    FAILED = "failed"
    """A transient failure, noted with its reason; the leg keeps its place."""
    REFUSED = "refused"
    """Refused for good; an operator's replay reopens the leg."""
