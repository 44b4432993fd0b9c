"""Identifiers the platform assigns: message ids (UUIDv7, sortable by time) and request ids."""

from __future__ import annotations

import secrets

import uuid6

__all__ = ["new_message_id", "new_request_id", "new_secret"]


def new_message_id() -> str:
    """A time-ordered UUIDv7 string: ids sort by acceptance time, which keeps indexes compact."""
    return str(uuid6.uuid7())


def new_request_id() -> str:
    return secrets.token_hex(8)


def new_secret(prefix: str, nbytes: int = 32) -> str:
    """A random credential, prefixed so a leaked one is recognisable (``lgsp_key_...``)."""
    return f"{prefix}{secrets.token_urlsafe(nbytes)}"
