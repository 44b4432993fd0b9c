"""What the national document axis simulator knows and holds: config, switches, stored packages.

``VdxpConfig`` is the explicit, frozen configuration (the systems the axis knows with their
secrets and agencies, and the starting switches). ``VdxpState`` is the one mutable object, kept on
the simulator's ``web.Application``: the switches (changeable at run time), a seeded random source
for injected errors, and the packages sent through it, each with a transport status per receiving
system (``pending`` until that system reports ``processing``, ``fail`` or ``done``).

Recipients are read from the package: every non-empty ``To/OrganId`` (namespace
``http://www.mic.gov.vn/TBT/QCVN_102_2016``); a status package has no ``To`` and goes back to the
issuer of the document it answers, its ``ResponseFor/OrganId``. This lookup forgives what real
packages carry (bytes before the first ``<``, undeclared namespace prefixes); the package itself is
kept byte for byte.

Not for: HTTP (``lgsp.simulators.vdxp``) or reading edXML beyond recipients (the edXML codec).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, cast

from lxml import etree

from lgsp.adapters.vdxp.signing import VIETNAM
from lgsp.errors import ConfigurationError

__all__ = [
    "EDXML_NS",
    "ErrorKind",
    "StoredEdoc",
    "Switches",
    "VdxpConfig",
    "VdxpState",
    "VdxpSystem",
    "recipients_of",
]

EDXML_NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
ErrorKind = Literal["fail", "http"]
_ERROR_KINDS = ("fail", "http")


@dataclass(frozen=True, slots=True)
class VdxpSystem:
    """A system registered on the axis (mã hệ thống): its secret and the agencies it serves."""

    secret: str
    agencies: tuple[str, ...]

    def __repr__(self) -> str:
        return f"VdxpSystem(agencies={self.agencies!r})"  # never the secret


@dataclass(frozen=True, slots=True)
class VdxpConfig:
    """The simulator's configuration. Switches here are where the run starts; see ``Switches``.

    ``error_rate`` (0..1) is the share of axis calls answered as the axis does under trouble:
    ``error_kind="fail"`` answers HTTP 200 ``status: FAIL``, ``ErrorCode: "999"``;
    ``error_kind="http"`` answers HTTP 500. ``down`` answers every axis call 503 at once.
    ``latency`` (seconds) delays every axis call. ``seed`` makes injected errors repeatable.
    """

    systems: Mapping[str, VdxpSystem]
    agency_names: Mapping[str, str] = field(default_factory=dict)
    latency: float = 0.0
    error_rate: float = 0.0
    error_kind: ErrorKind = "fail"
    down: bool = False
    seed: int | None = None
    max_package_bytes: int = 20 * 1024 * 1024


@dataclass(slots=True)
class Switches:
    """The run-time switches; ``update`` validates a change before applying any of it."""

    latency: float
    error_rate: float
    error_kind: ErrorKind
    down: bool

    def update(self, changes: Mapping[str, Any]) -> None:
        unknown = set(changes) - {"latency", "error_rate", "error_kind", "down"}
        if unknown:
            raise ValueError(f"unknown switch(es): {', '.join(sorted(unknown))}")
        latency = changes.get("latency", self.latency)
        error_rate = changes.get("error_rate", self.error_rate)
        error_kind = changes.get("error_kind", self.error_kind)
        down = changes.get("down", self.down)
        if isinstance(latency, bool) or not isinstance(latency, int | float) or latency < 0:
            raise ValueError("latency must be a number of seconds >= 0")
        if (
            isinstance(error_rate, bool)
            or not isinstance(error_rate, int | float)
            or not 0 <= error_rate <= 1
        ):
            raise ValueError("error_rate must be a number from 0 to 1")
        if error_kind not in _ERROR_KINDS:
            raise ValueError(f"error_kind must be one of {', '.join(_ERROR_KINDS)}")
        if not isinstance(down, bool):
            raise ValueError("down must be true or false")
        self.latency = float(latency)
        self.error_rate = float(error_rate)
        self.error_kind = cast(ErrorKind, error_kind)
        self.down = down

    def describe(self) -> dict[str, Any]:
        return {
            "latency": self.latency,
            "error_rate": self.error_rate,
            "error_kind": self.error_kind,
            "down": self.down,
        }


@dataclass(slots=True)
class StoredEdoc:
    """One package on the axis; ``receipts`` maps each receiving system to its transport status."""

    doc_id: str
    sender_system: str
    sender: str
    recipients: tuple[str, ...]
    service_type: str
    message_type: str
    package: bytes
    created: datetime
    receipts: dict[str, str]

    def summary(self) -> dict[str, Any]:
        """The list entry the axis answers (the SDK's ``Knobstick``)."""
        return {
            "id": self.doc_id,
            "fromCode": self.sender,
            "toCode": ",".join(self.recipients),
            "serviceType": self.service_type,
            "messageType": self.message_type,
            "createdTime": self.created.isoformat(timespec="seconds"),
        }


def _texts(root: etree._Element, path: str) -> list[str]:
    found = root.xpath(path, namespaces={"e": EDXML_NS})
    return [str(text) for text in found] if isinstance(found, list) else []


def recipients_of(package: bytes) -> tuple[str, ...]:
    """Agency codes a package is addressed to; ``ValueError`` when it is not edXML or names none."""
    start = package.find(b"<")
    if start < 0:
        raise ValueError("the body is not XML")
    # recover: real packages use undeclared prefixes (``xlink:href`` in edoc.edxml); the axis
    # routes them all the same.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, recover=True)
    try:
        root = etree.fromstring(package[start:], parser)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"the body is not well-formed XML: {exc}") from exc
    if root is None:
        raise ValueError("the body is not XML")
    if etree.QName(root).namespace != EDXML_NS:
        raise ValueError(f"the root element is not in the edXML namespace {EDXML_NS}")
    codes = _texts(root, ".//e:To/e:OrganId/text()") or _texts(
        root, ".//e:ResponseFor/e:OrganId/text()"
    )
    found = tuple(dict.fromkeys(code.strip() for code in codes if code.strip()))
    if not found:
        raise ValueError("the package names no recipient (To/OrganId, or ResponseFor/OrganId)")
    return found


class VdxpState:
    """Everything the simulator holds; one per application, under ``VDXP_STATE``."""

    def __init__(self, config: VdxpConfig) -> None:
        self.config = config
        self.switches = Switches(config.latency, config.error_rate, config.error_kind, config.down)
        self.switches.update({})  # validates the starting values
        self.rng = random.Random(config.seed)
        self.documents: dict[str, StoredEdoc] = {}
        self.agency_system: dict[str, str] = {}
        for system_id, system in config.systems.items():
            for agency in system.agencies:
                other = self.agency_system.setdefault(agency, system_id)
                if other != system_id:
                    raise ConfigurationError(f"agency {agency} served by {other} and {system_id}")

    def system(self, system_id: str) -> VdxpSystem | None:
        return self.config.systems.get(system_id)

    def inject_error(self) -> bool:
        """Whether this call is one of the ``error_rate`` share that fails."""
        rate = self.switches.error_rate
        return rate >= 1 or (rate > 0 and self.rng.random() < rate)

    def store(
        self,
        *,
        sender_system: str,
        sender: str,
        recipients: tuple[str, ...],
        service_type: str,
        message_type: str,
        package: bytes,
    ) -> StoredEdoc:
        systems = dict.fromkeys(self.agency_system[agency] for agency in recipients)
        doc = StoredEdoc(
            doc_id=str(uuid.uuid4()),
            sender_system=sender_system,
            sender=sender,
            recipients=recipients,
            service_type=service_type,
            message_type=message_type,
            package=package,
            created=datetime.now(VIETNAM),
            receipts=dict.fromkeys(systems, "pending"),
        )
        self.documents[doc.doc_id] = doc
        return doc

    def received_by(self, system_id: str, service_type: str | None) -> list[StoredEdoc]:
        """Packages for ``system_id`` it has not reported ``done`` (``fail`` stays listed)."""
        return [
            doc
            for doc in self.documents.values()
            if doc.receipts.get(system_id, "done") != "done"
            and (service_type is None or doc.service_type == service_type)
        ]

    def sent_by(self, system_id: str, service_type: str | None) -> list[StoredEdoc]:
        return [
            doc
            for doc in self.documents.values()
            if doc.sender_system == system_id
            and (service_type is None or doc.service_type == service_type)
        ]

    def visible(self, doc_id: str, system_id: str) -> StoredEdoc | None:
        """The package, if ``system_id`` sent it or receives it (others are told it is unknown)."""
        doc = self.documents.get(doc_id)
        if doc is None or (doc.sender_system != system_id and system_id not in doc.receipts):
            return None
        return doc

    def agency_statuses(self, doc: StoredEdoc) -> dict[str, str]:
        return {agency: doc.receipts[self.agency_system[agency]] for agency in doc.recipients}

    def agencies(self) -> list[dict[str, str]]:
        """The agencies the axis knows (``getAgenciesList``), parent = the level-1 body."""
        return [
            {
                "id": agency,
                "code": agency,
                "name": self.config.agency_names.get(agency, agency),
                "pcode": "000.00.00." + agency.rsplit(".", 1)[-1] if "." in agency else "",
            }
            for agency in self.agency_system
        ]

    def describe(self) -> dict[str, Any]:
        """What ``GET /_simulator/state`` shows: switches and packages (sizes, not bytes)."""
        return {
            "switches": self.switches.describe(),
            "documents": [
                {
                    **doc.summary(),
                    "senderSystem": doc.sender_system,
                    "size": len(doc.package),
                    "receipts": dict(doc.receipts),
                    "statuses": self.agency_statuses(doc),
                }
                for doc in self.documents.values()
            ],
        }
