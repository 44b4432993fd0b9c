"""Who is calling: bearer API key → registered system, with a short-lived cache.

The cache keeps the accept path off the database; a key revoked in the registry stops working
within ``LGSP_SYSTEM_CACHE_TTL`` seconds on every gateway.
"""

from __future__ import annotations

import time

from lgsp.errors import AuthenticationFailed
from lgsp.journal import System, SystemRegistry, hash_api_key

__all__ = ["Authenticator"]


class Authenticator:
    def __init__(self, registry: SystemRegistry, *, ttl: float) -> None:
        self._registry = registry
        self._ttl = ttl
        self._cache: dict[str, tuple[System, float]] = {}

    async def authenticate(self, authorization: str | None) -> System:
        """The system whose key is in ``authorization`` (``Bearer <key>``), or raise 401."""
        if not authorization:
            raise AuthenticationFailed("an Authorization: Bearer <api key> header is required")
        scheme, _, key = authorization.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise AuthenticationFailed("the Authorization header must be 'Bearer <api key>'")
        key_hash = hash_api_key(key.strip())
        now = time.monotonic()
        cached = self._cache.get(key_hash)
        if cached is not None and cached[1] > now:
            return cached[0]
        system = await self._registry.by_key_hash(key_hash)
        if system is None:
            self._cache.pop(key_hash, None)
            raise AuthenticationFailed("the API key belongs to no registered system")
        self._cache[key_hash] = (system, now + self._ttl)
        return system
