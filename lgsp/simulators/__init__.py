"""Simulators of the national axes the platform bridges to, for the demo and the tests.

Each is a small aiohttp app that answers like the real system does (see DOMAIN.md), with
switches for latency, errors and outages. Not for: production traffic.
"""

from lgsp.simulators.vdxp import VDXP_STATE, create_vdxp_app, run_vdxp_simulator
from lgsp.simulators.vdxp_state import Switches, VdxpConfig, VdxpState, VdxpSystem

__all__ = [
    "VDXP_STATE",
    "Switches",
    "VdxpConfig",
    "VdxpState",
    "VdxpSystem",
    "create_vdxp_app",
    "run_vdxp_simulator",
]
