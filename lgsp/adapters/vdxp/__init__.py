"""The national document axis (VDXP): its wire signing and a client of its SDK-style API.

Not for: the simulator of the axis (``lgsp.simulators.vdxp``) or routing decisions.
"""

from lgsp.adapters.vdxp.client import (
    PERMANENT_CODES,
    ReceivedEdoc,
    SentEdoc,
    ServiceType,
    TransportStatus,
    VdxpAgency,
    VdxpClient,
    VdxpErrorCode,
    VdxpRefused,
    VdxpTryLater,
)
from lgsp.adapters.vdxp.signing import (
    SignatureProblem,
    format_timestamp,
    hash_file,
    signed_headers,
    verify_signed_headers,
)

__all__ = [
    "PERMANENT_CODES",
    "ReceivedEdoc",
    "SentEdoc",
    "ServiceType",
    "SignatureProblem",
    "TransportStatus",
    "VdxpAgency",
    "VdxpClient",
    "VdxpErrorCode",
    "VdxpRefused",
    "VdxpTryLater",
    "format_timestamp",
    "hash_file",
    "signed_headers",
    "verify_signed_headers",
]
