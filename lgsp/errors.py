"""The one exception hierarchy of lgsp.

Every error the platform raises on purpose is an ``LGSPError``. Third-party exceptions (aiormq,
aio-pika, httpx, SQLAlchemy, lxml) are translated at the boundary with ``raise ... from``, so
callers only ever catch these::

    LGSPError
    ├── ConfigurationError          settings or registry data that cannot work
    ├── ValidationFailed            a message or request does not match the shared schemas (422)
    │   ├── MalformedRequest        the body is not JSON, or not readable XML (400)
    │   ├── UnsupportedMediaType    the body's content type is not one the call reads (415)
    │   └── PayloadTooLarge         the body is larger than the configured limit (413)
    ├── AuthenticationFailed        no credentials, or credentials that match no system (401)
    ├── NotPermitted                the caller may not do this (403)
    ├── NotFound                    no such message, or not visible to the caller (404)
    ├── IdempotencyConflict         same Idempotency-Key, other request (409)
    ├── RoutingError                no way to reach a recipient (422 at the door, dead letter later)
    ├── RequestFailed               a lookup (request-reply) got no usable answer
    │   ├── RequestTimeout          no answer before the deadline (504)
    │   └── FarSideFailed           the far side (national platform, ministry) failed (502)
    ├── Unavailable                 a dependency cannot take work now (503); nothing was accepted
    │   ├── BrokerUnavailable
    │   └── JournalUnavailable
    └── DeliveryError               handing a message to its recipient failed
        ├── TransientDeliveryError  worth another attempt (timeouts, 5xx, connection refused)
        │   └── RetryLater          the retry policy's verdict: try again in ``delay`` seconds
        └── PermanentDeliveryError  no attempt will succeed (4xx, unknown recipient): dead letter

Not for: HTTP rendering (``lgsp.gateway.problems`` maps each class to its problem in one table)
or logging.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "AuthenticationFailed",
    "BrokerUnavailable",
    "ConfigurationError",
    "DeliveryError",
    "FarSideFailed",
    "FieldError",
    "IdempotencyConflict",
    "JournalUnavailable",
    "LGSPError",
    "MalformedRequest",
    "NotFound",
    "NotPermitted",
    "PayloadTooLarge",
    "PermanentDeliveryError",
    "RequestFailed",
    "RequestTimeout",
    "RetryLater",
    "RoutingError",
    "TransientDeliveryError",
    "Unavailable",
    "UnsupportedMediaType",
    "ValidationFailed",
]

FieldError = dict[str, Any]
"""One field's problem: ``{"loc": [...], "msg": str, "type": str}``, as in pydantic's errors."""


class LGSPError(Exception):
    """Base of every error lgsp raises on purpose."""


class ConfigurationError(LGSPError):
    """Settings or registry data that cannot work."""


class ValidationFailed(LGSPError):
    """Input that does not match the shared schemas; ``errors`` names each field."""

    def __init__(self, detail: str, errors: Sequence[FieldError] = ()) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors)


class MalformedRequest(ValidationFailed):
    """The body is not JSON (or not the expected XML): nothing in it could be read."""


class UnsupportedMediaType(ValidationFailed):
    """The body's content type is not one this call reads."""


class PayloadTooLarge(ValidationFailed):
    """The body is larger than the configured limit."""


class AuthenticationFailed(LGSPError):
    """No credentials, or credentials that belong to no registered system."""


class NotPermitted(LGSPError):
    """The caller is known but may not do this."""


class NotFound(LGSPError):
    """No such resource, or one the caller may not see (the two are not told apart)."""


class IdempotencyConflict(LGSPError):
    """An ``Idempotency-Key`` reused for a different request."""


class RoutingError(LGSPError):
    """A recipient the platform has no way to reach."""


class RequestFailed(LGSPError):
    """A synchronous request (a lookup) got no usable answer."""


class RequestTimeout(RequestFailed):
    """No answer came before the request's deadline; a later answer is dropped."""


class FarSideFailed(RequestFailed):
    """The system that answers the request (national platform, ministry) failed or is down."""


class Unavailable(LGSPError):
    """A dependency cannot take work now; the caller may retry. Nothing was accepted."""


class BrokerUnavailable(Unavailable):
    """The message broker refused, returned or did not confirm a message in time."""


class JournalUnavailable(Unavailable):
    """The journal (SQLite or PostgreSQL) could not record the message."""


class DeliveryError(LGSPError):
    """Handing a message to a recipient failed."""

    def __init__(
        self, reason: str, *, target: str | None = None, status_code: int | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.target = target
        self.status_code = status_code


class TransientDeliveryError(DeliveryError):
    """Worth another attempt later: timeouts, 5xx answers, refused connections."""


class RetryLater(TransientDeliveryError):
    """Deliver this message again in ``delay`` seconds (through a delay queue, not in memory)."""

    def __init__(self, reason: str, *, delay: float) -> None:
        super().__init__(reason)
        self.delay = delay


class PermanentDeliveryError(DeliveryError):
    """No later attempt can succeed: the message goes to dead letters with this reason."""
