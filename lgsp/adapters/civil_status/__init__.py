"""The civil-status axis (hộ tịch): the adapter that registers births, deaths and marriages with
the Ministry of Justice, carries the joined procedures (LTKS, LTKT) to the residence registry and
social security, and answers civil-status lookups.

Modules, one concept each: ``adapter`` (what a round does and how it ends), ``rounds`` (one
round and what it writes to the journal), ``legs`` (the legs and their states, folded from the
journal), ``ministry`` and ``agencies`` (the far sides' calls), ``mapping`` (English ↔ the
Ministry's names), ``wire`` (one call and what its answer means), ``lookup`` (request-reply).
"""

from lgsp.adapters.base import AdapterContext
from lgsp.adapters.civil_status.adapter import CivilStatusAdapter
from lgsp.adapters.civil_status.agencies import AgencyClient, AgencyService
from lgsp.adapters.civil_status.legs import Leg, LegBook, LegState, plan
from lgsp.adapters.civil_status.ministry import DossierStatus, MinistryClient, dossier_code
from lgsp.adapters.civil_status.wire import ServiceRefused, ServiceTrouble

__all__ = [
    "AgencyClient",
    "AgencyService",
    "CivilStatusAdapter",
    "DossierStatus",
    "Leg",
    "LegBook",
    "LegState",
    "MinistryClient",
    "ServiceRefused",
    "ServiceTrouble",
    "create",
    "dossier_code",
    "plan",
]


def create(context: AdapterContext) -> CivilStatusAdapter:
    """Entry point of the ``civil_status`` adapter."""
    return CivilStatusAdapter(context)
