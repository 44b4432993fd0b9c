"""Intake: what every door does with a message before it is on the bus.

Admission decides (the caller's right to the type, the schema, the routing, the signature) and
ends in an ``Admitted``; acceptance commits it (idempotency, the journal row and the broker's
confirm side by side, large payloads spilled to the blob store). The HTTP gateway and the national
document axis's inbox both admit, then commit, through here. Lookups are admitted here too, and
asked over the bus by the gateway.

Not for: HTTP (``lgsp.gateway`` reads bodies and renders problems) or delivering (adapters).
"""

from lgsp.intake.acceptance import Accepted, Acceptor
from lgsp.intake.admission import Admitted, admit_json, check_right, dossier_order_key
from lgsp.intake.edxml import admit_edxml
from lgsp.intake.lookups import Lookup, admit_lookup
from lgsp.intake.recovery import outgoing_from_record

__all__ = [
    "Accepted",
    "Acceptor",
    "Admitted",
    "Lookup",
    "admit_edxml",
    "admit_json",
    "admit_lookup",
    "check_right",
    "dossier_order_key",
    "outgoing_from_record",
]
