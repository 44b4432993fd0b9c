"""The national axis: the national data platform (NGSP/NDXP) and the National Public Service
Portal. ``create`` is the ``national`` entry point of the ``lgsp.adapters`` group.

- ``token``: OAuth2 client-credentials tokens (cached, refreshed before expiry, single flight);
- ``client``: the platform's versioned APIs over httpx, errors translated to lgsp's;
- ``answers``: lookup answers in English field names;
- ``portal``: a dossier state in the portal's field names and time format;
- ``ordering``: each dossier's statuses delivered in the order they were accepted;
- ``lookups``: answering ``national.citizen_lookup`` and ``national.catalog_lookup``;
- ``adapter``: ``NationalAdapter``, delivering ``national.dossier_sync`` and answering lookups.

Not for: the simulator (``lgsp.simulators.national_platform``) or the axis's message schemas
(``lgsp.schemas.national``, ``lgsp.schemas.dossier``).
"""

from lgsp.adapters.base import AdapterContext
from lgsp.adapters.national.adapter import NationalAdapter
from lgsp.adapters.national.client import NationalPlatform
from lgsp.adapters.national.lookups import NationalLookups
from lgsp.adapters.national.ordering import StatusOrder
from lgsp.adapters.national.portal import dossier_record, portal_time
from lgsp.adapters.national.token import TokenSource

__all__ = [
    "NationalAdapter",
    "NationalLookups",
    "NationalPlatform",
    "StatusOrder",
    "TokenSource",
    "create",
    "dossier_record",
    "portal_time",
]


def create(context: AdapterContext) -> NationalAdapter:
    """Entry point of the ``national`` adapter. Without ``LGSP_NATIONAL_PLATFORM_URL`` it still
    starts: lookups then fail and dossier statuses are parked, each saying what is missing."""
    return NationalAdapter(context)
