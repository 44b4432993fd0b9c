"""Client pieces for the national data platform (NGSP/NDXP): OAuth2 tokens so far.

Not for: the simulator (``lgsp.simulators.national_platform``) or the axis's message schemas.
"""

from lgsp.adapters.national.token import TokenSource

__all__ = ["TokenSource"]
