"""Registering provincial systems: credentials are made here and shown once."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError

from lgsp.errors import ConfigurationError
from lgsp.ids import new_secret
from lgsp.journal import System, SystemFormat, SystemRegistry, hash_api_key
from lgsp.schemas import MESSAGE_TYPES, AgencyCode

__all__ = ["register_operator", "register_system", "system_view"]

_AGENCY: TypeAdapter[str] = TypeAdapter(AgencyCode)


async def register_system(
    registry: SystemRegistry,
    *,
    system_id: str,
    agency: str,
    webhook_url: str | None = None,
    format: SystemFormat = "json",
    may_send: Iterable[str] = (),
) -> dict[str, Any]:
    """Store a new system and return its registration with the API key and webhook secret.

    The key is stored only as a hash: this return value is the one time anyone sees it.
    """
    try:
        _AGENCY.validate_python(agency)
    except ValidationError as exc:
        raise ConfigurationError(f"--agency: {exc.errors()[0]['msg']}") from exc
    unknown = sorted(set(may_send) - set(MESSAGE_TYPES))
    if unknown:
        raise ConfigurationError(
            f"--may-send: unknown type(s) {', '.join(unknown)}; known: {', '.join(MESSAGE_TYPES)}"
        )
    if webhook_url is not None and not webhook_url.startswith(("http://", "https://")):
        raise ConfigurationError("--webhook must be an http:// or https:// URL")
    api_key = new_secret("lgsp_key_")
    system = System(
        id=system_id,
        agency=agency,
        api_key_hash=hash_api_key(api_key),
        webhook_secret=new_secret("lgsp_whsec_"),
        created_at=datetime.now(UTC),
        webhook_url=webhook_url,
        format=format,
        may_send=frozenset(may_send),
    )
    await registry.add(system)
    return {**system_view(system), "api_key": api_key, "webhook_secret": system.webhook_secret}


async def register_operator(registry: SystemRegistry, *, operator_id: str) -> dict[str, Any]:
    """Store an operator (dead letters, replays); returns its API key, shown this once."""
    api_key = new_secret("lgsp_key_")
    system = System(
        id=operator_id,
        agency="",
        api_key_hash=hash_api_key(api_key),
        webhook_secret=new_secret("lgsp_whsec_"),
        created_at=datetime.now(UTC),
        operator=True,
    )
    await registry.add(system)
    return {"id": operator_id, "operator": True, "api_key": api_key}


def system_view(system: System) -> dict[str, Any]:
    """A system as operators see it: no secrets."""
    return {
        "id": system.id,
        "agency": system.agency,
        "webhook": system.webhook_url,
        "format": system.format,
        "may_send": sorted(system.may_send),
        "operator": system.operator,
        "created_at": system.created_at.isoformat(),
    }
