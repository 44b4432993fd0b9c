"""The far sides the demo talks to, each a simulator on a free local port: the national document
axis (with a far province on it), the Ministry of Justice's civil-status system, the residence
registry, social security's health insurance and funeral allowance services, and the national data
platform with the public service portal.

``run_simulators`` starts them all and yields the settings that point lgsp at them.

Not for: the sample traffic (``lgsp.demo.documents``, ``lgsp.demo.civil_status``,
``lgsp.demo.national``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from lgsp.simulators.agency import run_agency_simulator
from lgsp.simulators.agency_state import Agency, AgencyConfig
from lgsp.simulators.civil_status import run_civil_status_simulator
from lgsp.simulators.civil_status_state import CivilStatusConfig
from lgsp.simulators.national_platform import run_national_simulator
from lgsp.simulators.national_platform_state import Citizen, NationalConfig
from lgsp.simulators.vdxp import run_vdxp_simulator
from lgsp.simulators.vdxp_state import VdxpConfig, VdxpSystem

__all__ = [
    "AXIS_SECRETS",
    "CITIZEN_ID",
    "CITIZEN_NAME",
    "FAR_AGENCY",
    "PROVINCE_CODE",
    "RECIPIENT_AGENCY",
    "SENDER_AGENCY",
    "UNIT",
    "far_side_settings",
    "run_simulators",
]

SENDER_AGENCY = "000.00.00.H41"  # a provincial People's Committee (Nghệ An)
RECIPIENT_AGENCY = "000.00.12.H41"  # one of its departments
FAR_AGENCY = "000.00.00.H14"  # another province's People's Committee, over the national axis
AXIS_SECRETS = {"lgsp-h41": "demo-secret-h41", "lgsp-h14": "demo-secret-h14"}

PROVINCE_CODE = "040"  # Nghệ An's code in personal ID numbers
UNIT = "H41"  # the province's unit code (maDonVi) at the Ministry and the agencies
_UNIT_KEY = "demo-ministry-key-h41"
_NATIONAL_CLIENT = ("lgsp-h41", "demo-national-secret-h41")

CITIZEN_ID = "040090001234"  # Nghệ An, 0 = a man born 1900–1999, '90
CITIZEN_NAME = "Hồ Văn Minh"
_CITIZEN = Citizen(
    full_name=CITIZEN_NAME,
    birth_date="1990-05-19",
    sex="male",
    residence="Xã Nghi Phong, Huyện Nghi Lộc, Tỉnh Nghệ An",
)


def far_side_settings(
    urls: Mapping[str, str], *, unit: str, key: str, client: tuple[str, str]
) -> dict[str, str]:
    """The settings (``LGSP_*`` names, lower case) pointing lgsp at the civil-status and national
    far sides in ``urls`` (keyed ``civil_status``, ``residence``, ``health_insurance``,
    ``funeral_allowance``, ``national``; absent ones are left unset), with one unit code and key
    for the Ministry and every agency, and the national platform's OAuth2 client."""
    found: dict[str, str] = {}
    if "civil_status" in urls:
        found |= {
            "civil_status_url": urls["civil_status"],
            "civil_status_unit": unit,
            "civil_status_api_key": key,
        }
    for agency in ("residence", "health_insurance", "funeral_allowance"):
        if agency in urls:
            found |= {f"{agency}_url": urls[agency], f"{agency}_api_key": key}
    if "national" in urls:
        found |= {
            "national_platform_url": urls["national"],
            "national_client_id": client[0],
            "national_client_secret": client[1],
        }
    return found


@asynccontextmanager
async def run_simulators() -> AsyncIterator[dict[str, Any]]:
    """Start every simulator; yields the settings (``LGSP_*`` names, lower case) reaching them."""
    keys = {UNIT: _UNIT_KEY}
    async with AsyncExitStack() as stack:
        axis_url = await stack.enter_async_context(
            run_vdxp_simulator(
                VdxpConfig(
                    systems={
                        "lgsp-h41": VdxpSystem(
                            AXIS_SECRETS["lgsp-h41"], (SENDER_AGENCY, RECIPIENT_AGENCY)
                        ),
                        "lgsp-h14": VdxpSystem(AXIS_SECRETS["lgsp-h14"], (FAR_AGENCY,)),
                    },
                    agency_names={
                        FAR_AGENCY: "UBND tỉnh Cao Bằng",
                        SENDER_AGENCY: "UBND tỉnh Nghệ An",
                    },
                )
            )
        )
        ministry_url = await stack.enter_async_context(
            run_civil_status_simulator(
                CivilStatusConfig(api_keys=keys, province_code=PROVINCE_CODE)
            )
        )
        agencies = {
            agency: await stack.enter_async_context(
                run_agency_simulator(
                    AgencyConfig(agency=agency, api_keys=keys, province_code=PROVINCE_CODE)
                )
            )
            for agency in (Agency.RESIDENCE, Agency.HEALTH_INSURANCE, Agency.FUNERAL_ALLOWANCE)
        }
        national_url = await stack.enter_async_context(
            run_national_simulator(
                NationalConfig(clients=dict([_NATIONAL_CLIENT]), citizens={CITIZEN_ID: _CITIZEN})
            )
        )
        yield {
            "national_document_url": axis_url,
            "national_document_system_id": "lgsp-h41",
            "national_document_secret": AXIS_SECRETS["lgsp-h41"],
            "national_poll_interval": 0.3,
            "civil_status_poll_interval": 0.3,
            **far_side_settings(
                {"civil_status": ministry_url, "national": national_url}
                | {agency.value: url for agency, url in agencies.items()},
                unit=UNIT,
                key=_UNIT_KEY,
                client=_NATIONAL_CLIENT,
            ),
        }
