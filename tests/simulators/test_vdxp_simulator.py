"""The national document axis simulator, driven by the real VDXP client over 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp.test_utils import TestServer

from lgsp.adapters.vdxp import VdxpClient, VdxpRefused, VdxpTryLater, signed_headers
from lgsp.errors import ConfigurationError, TransientDeliveryError
from lgsp.simulators import (
    VDXP_STATE,
    VdxpConfig,
    VdxpSystem,
    create_vdxp_app,
    run_vdxp_simulator,
)
from lgsp.simulators.vdxp_state import VdxpState, recipients_of

FIXTURES = Path("/work/shared/fixtures/edxml/vpcp-sdk")
EDOC = (FIXTURES / "edoc.edxml").read_bytes()  # To 000.00.15.H51
STATUS = (FIXTURES / "status_inbox_01.edxml").read_bytes()  # From H41, ResponseFor G22
EDOC_NEW = (FIXTURES / "edoc_new.edxml").read_bytes()  # junk before <?xml, To 28.22.H17

PROVINCE = "lgsp.h41"  # this province's LGSP, serving Nghệ An agencies
OFFICE = "vpcp.g22"  # the Government Office's system
HANOI = "qlvb.h51"
SECRETS = {PROVINCE: "cHJvdmluY2Utc2VjcmV0", OFFICE: "b2ZmaWNlLXNlY3JldA==", HANOI: "h51/s3cret"}
CONFIG = VdxpConfig(
    systems={
        PROVINCE: VdxpSystem(SECRETS[PROVINCE], ("000.00.00.H41", "000.00.12.H41")),
        OFFICE: VdxpSystem(SECRETS[OFFICE], ("000.00.00.G22",)),
        HANOI: VdxpSystem(SECRETS[HANOI], ("000.00.15.H51",)),
    },
    agency_names={"000.00.00.G22": "Văn phòng Chính phủ"},
    seed=7,
)


class Axis:
    """The running simulator, an HTTP client, and a VDXP client per system."""

    def __init__(self, url: str, http: httpx.AsyncClient) -> None:
        self.url = url
        self.http = http

    def client(self, system: str, *, secret: str | None = None, timeout: float = 5) -> VdxpClient:
        return VdxpClient(
            self.http,
            self.url,
            system_id=system,
            secret=secret if secret is not None else SECRETS.get(system, "x"),
            timeout=timeout,
        )

    async def switch(self, **changes: Any) -> dict[str, Any]:
        response = await self.http.post(f"{self.url}/_simulator/config", json=changes, timeout=5)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    async def state(self) -> dict[str, Any]:
        response = await self.http.get(f"{self.url}/_simulator/state", timeout=5)
        answer: dict[str, Any] = response.json()
        return answer

    async def raw_send(self, headers: dict[str, str], body: bytes) -> dict[str, Any]:
        response = await self.http.post(
            f"{self.url}/sendEdoc", content=body, headers=headers, timeout=5
        )
        assert response.status_code == 200
        answer: dict[str, Any] = response.json()
        return answer


@pytest.fixture
async def axis() -> AsyncIterator[Axis]:
    # Every call below is bounded by an httpx timeout; the fixture itself never waits.
    async with run_vdxp_simulator(CONFIG, "127.0.0.1", 0) as url, httpx.AsyncClient() as http:
        yield Axis(url, http)


def send_headers(system: str, body: bytes, **overrides: Any) -> dict[str, str]:
    params: dict[str, Any] = {
        "system_id": system,
        "secret": SECRETS[system],
        "content_type": "application/octet-stream",
        "service_type": "eDoc",
        "message_type": "edoc",
        "sender": "000.00.00.G22",
        "body": body,
        **overrides,
    }
    return signed_headers(**params)


# --------------------------------------------------------------------------------------------
# The flows
# --------------------------------------------------------------------------------------------


async def test_document_is_listed_fetched_and_taken_off_when_done(axis: Axis) -> None:
    office, hanoi = axis.client(OFFICE), axis.client(HANOI)
    doc_id = await office.send_edoc(EDOC, sender="000.00.00.G22", service_type="eDoc")

    [entry] = await hanoi.received("eDoc")
    assert entry.doc_id == doc_id
    assert entry.sender == "000.00.00.G22"
    assert entry.recipients == ("000.00.15.H51",)
    assert entry.service_type == "eDoc"
    assert entry.created is not None
    assert await hanoi.received("status") == []
    assert await office.received("eDoc") == []  # the sender is not a recipient
    assert await hanoi.count_received() == 1

    assert await hanoi.get_edoc(doc_id) == EDOC
    assert await office.get_edoc(doc_id) == EDOC  # the sender may read what it sent

    await hanoi.update_status(doc_id, "fail")
    assert [e.doc_id for e in await hanoi.received("eDoc")] == [doc_id]
    await hanoi.update_status(doc_id, "processing")
    assert [e.status for e in await hanoi.received("eDoc")] == ["processing"]
    await hanoi.update_status(doc_id, "done")
    assert await hanoi.received("eDoc") == []
    assert await hanoi.count_received() == 0

    [sent] = await office.sent("eDoc")
    assert sent.doc_id == doc_id
    assert sent.statuses == {"000.00.15.H51": "done"}


async def test_status_package_goes_back_to_the_issuer(axis: Axis) -> None:
    province, office = axis.client(PROVINCE), axis.client(OFFICE)
    doc_id = await province.send_edoc(STATUS, sender="000.00.00.H41", service_type="status")

    assert await office.received("eDoc") == []
    [entry] = await office.received("status")
    assert entry.doc_id == doc_id
    assert entry.message_type == "status"
    assert await office.count_received("status") == 1
    assert await office.get_edoc(doc_id) == STATUS
    await office.update_status(doc_id, "done")
    assert await office.received("status") == []


async def test_agencies_list_names_every_agency(axis: Axis) -> None:
    agencies = {a.code: a for a in await axis.client(PROVINCE).agencies()}
    assert set(agencies) == {"000.00.00.H41", "000.00.12.H41", "000.00.00.G22", "000.00.15.H51"}
    assert agencies["000.00.00.G22"].name == "Văn phòng Chính phủ"
    assert agencies["000.00.12.H41"].parent_code == "000.00.00.H41"


async def test_state_shows_stored_packages(axis: Axis) -> None:
    doc_id = await axis.client(OFFICE).send_edoc(EDOC, sender="000.00.00.G22", service_type="eDoc")
    state = await axis.state()
    [doc] = state["documents"]
    assert doc["id"] == doc_id
    assert doc["size"] == len(EDOC)
    assert doc["receipts"] == {HANOI: "pending"}
    assert state["switches"] == {
        "latency": 0.0,
        "error_rate": 0.0,
        "error_kind": "fail",
        "down": False,
    }


# --------------------------------------------------------------------------------------------
# Refusals
# --------------------------------------------------------------------------------------------


async def test_tampered_signature_is_refused_with_103(axis: Axis) -> None:
    headers = send_headers(OFFICE, EDOC)
    headers["XroadVnpt-hash-header"] = "f" * 64
    answer = await axis.raw_send(headers, EDOC)
    assert (answer["status"], answer["ErrorCode"]) == ("FAIL", "103")

    headers = send_headers(OFFICE, EDOC)
    headers["XroadVnpt-from"] = "000.00.00.H41"  # changed after signing
    answer = await axis.raw_send(headers, EDOC)
    assert (answer["status"], answer["ErrorCode"]) == ("FAIL", "103")

    with pytest.raises(VdxpRefused) as caught:
        await axis.client(OFFICE, secret="wrong").received("eDoc")
    assert caught.value.error_code == "103"
    assert (await axis.state())["documents"] == []


async def test_wrong_hash_file_is_refused_with_104(axis: Axis) -> None:
    headers = send_headers(OFFICE, b"another package")  # signed, but for other bytes
    answer = await axis.raw_send(headers, EDOC)
    assert (answer["status"], answer["ErrorCode"]) == ("FAIL", "104")


async def test_unknown_system_is_refused_with_102(axis: Axis) -> None:
    with pytest.raises(VdxpRefused) as caught:
        await axis.client("nobody").send_edoc(EDOC, sender="000.00.00.G22", service_type="eDoc")
    assert caught.value.error_code == "102"
    assert caught.value.target == f"{axis.url}/sendEdoc"


async def test_missing_headers_are_refused_with_101(axis: Axis) -> None:
    answer = await axis.raw_send({"XroadVnpt-systemid": OFFICE}, EDOC)
    assert (answer["status"], answer["ErrorCode"]) == ("FAIL", "101")
    answer = await axis.raw_send({}, EDOC)
    assert answer["ErrorCode"] == "101"


async def test_unknown_or_foreign_doc_id_is_refused_with_105(axis: Axis) -> None:
    with pytest.raises(VdxpRefused) as caught:
        await axis.client(HANOI).get_edoc("no-such-doc")
    assert caught.value.error_code == "105"
    doc_id = await axis.client(OFFICE).send_edoc(EDOC, sender="000.00.00.G22", service_type="eDoc")
    with pytest.raises(VdxpRefused) as caught:
        await axis.client(PROVINCE).get_edoc(doc_id)  # neither sender nor recipient
    assert caught.value.error_code == "105"
    with pytest.raises(VdxpRefused) as caught:
        await axis.client(OFFICE).update_status(doc_id, "done")  # the sender does not receive it
    assert caught.value.error_code == "105"


async def test_bad_packages_and_senders_are_refused(axis: Axis) -> None:
    office = axis.client(OFFICE)
    with pytest.raises(VdxpRefused) as caught:
        await office.send_edoc(b"not xml at all", sender="000.00.00.G22", service_type="eDoc")
    assert caught.value.error_code == "106"
    with pytest.raises(VdxpRefused) as caught:  # 28.22.H17 is registered nowhere
        await office.send_edoc(EDOC_NEW, sender="000.00.00.G22", service_type="eDoc")
    assert caught.value.error_code == "107"
    with pytest.raises(VdxpRefused) as caught:  # H41 is not an agency of the Office's system
        await office.send_edoc(EDOC, sender="000.00.00.H41", service_type="eDoc")
    assert caught.value.error_code == "108"


# --------------------------------------------------------------------------------------------
# Switches
# --------------------------------------------------------------------------------------------


async def test_latency_delays_calls_and_a_shorter_timeout_is_transient(axis: Axis) -> None:
    assert (await axis.switch(latency=0.05))["latency"] == 0.05
    assert await axis.client(PROVINCE).count_received() == 0

    await axis.switch(latency=1.0)
    with pytest.raises(TransientDeliveryError) as caught:
        await axis.client(PROVINCE, timeout=0.1).count_received()
    assert "timed out" in caught.value.reason


async def test_error_rate_one_fails_every_call_transiently(axis: Axis) -> None:
    await axis.switch(error_rate=1)
    province = axis.client(PROVINCE)
    calls: list[Callable[[], Awaitable[object]]] = [
        lambda: province.send_edoc(STATUS, sender="000.00.00.H41", service_type="status"),
        lambda: province.received("eDoc"),
        lambda: province.get_edoc("any"),
        lambda: province.update_status("any", "done"),
        lambda: province.agencies(),
        lambda: province.count_received(),
    ]
    for call in calls:
        with pytest.raises(VdxpTryLater) as caught:
            await call()
        assert caught.value.error_code == "999"

    await axis.switch(error_kind="http")
    with pytest.raises(VdxpTryLater) as caught:
        await province.agencies()
    assert caught.value.status_code == 500

    await axis.switch(error_rate=0, error_kind="fail")
    assert await province.agencies()
    assert (await axis.state())["documents"] == []


async def test_error_rate_fails_a_share_of_calls(axis: Axis) -> None:
    await axis.switch(error_rate=0.5)
    outcomes = []
    for _ in range(20):
        try:
            await axis.client(PROVINCE).count_received()
            outcomes.append("ok")
        except VdxpTryLater:
            outcomes.append("failed")
    assert set(outcomes) == {"ok", "failed"}


async def test_down_axis_is_a_transient_failure(axis: Axis) -> None:
    await axis.switch(down=True)
    with pytest.raises(TransientDeliveryError) as caught:
        await axis.client(OFFICE).send_edoc(EDOC, sender="000.00.00.G22", service_type="eDoc")
    assert caught.value.status_code == 503
    assert (await axis.state())["switches"]["down"] is True  # control calls still answer

    await axis.switch(down=False)
    assert await axis.client(OFFICE).send_edoc(EDOC, sender="000.00.00.G22", service_type="eDoc")


@pytest.mark.parametrize(
    "changes",
    [{"latency": -1}, {"error_rate": 2}, {"down": "yes"}, {"error_kind": "odd"}, {"speed": 1}],
)
async def test_config_endpoint_refuses_bad_switches(axis: Axis, changes: dict[str, Any]) -> None:
    response = await axis.http.post(f"{axis.url}/_simulator/config", json=changes, timeout=5)
    assert response.status_code == 400
    assert (await axis.state())["switches"]["error_rate"] == 0.0


async def test_switches_on_the_app_state_under_test_server() -> None:
    app = create_vdxp_app(CONFIG)
    server = TestServer(app, host="127.0.0.1")
    async with asyncio.timeout(30), server, httpx.AsyncClient() as http:
        url = str(server.make_url("")).rstrip("/")
        client = VdxpClient(http, url, system_id=HANOI, secret=SECRETS[HANOI], timeout=5)
        app[VDXP_STATE].switches.down = True
        with pytest.raises(VdxpTryLater):
            await client.count_received()
        app[VDXP_STATE].switches.down = False
        assert await client.count_received() == 0


# --------------------------------------------------------------------------------------------
# Config and recipients
# --------------------------------------------------------------------------------------------


def test_an_agency_served_by_two_systems_is_a_configuration_error() -> None:
    config = VdxpConfig(
        systems={"a": VdxpSystem("s", ("000.00.00.H41",)), "b": VdxpSystem("t", ("000.00.00.H41",))}
    )
    with pytest.raises(ConfigurationError):
        VdxpState(config)


def test_recipients_come_from_the_package() -> None:
    assert recipients_of(EDOC) == ("000.00.15.H51",)
    assert recipients_of(STATUS) == ("000.00.00.G22",)
    assert recipients_of(EDOC_NEW) == ("28.22.H17",)  # the stray bytes before <?xml are skipped
    for name in ("edoc_update.edxml", "status_finish_06.edxml"):
        assert recipients_of((FIXTURES / name).read_bytes())
    with pytest.raises(ValueError, match="not in the edXML namespace"):
        recipients_of(b"<other/>")


def test_the_secret_is_not_in_the_config_repr() -> None:
    assert SECRETS[PROVINCE] not in repr(CONFIG)
