"""The gateway: the one door provincial systems call (aiohttp)."""

from lgsp.gateway.app import create_app

__all__ = ["create_app"]
