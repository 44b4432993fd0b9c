"""Fault injection: nothing accepted is lost.

A steady load of ``document.send`` messages goes through real ``lgsp gateway`` and
``lgsp adapter document`` processes on RabbitMQ and PostgreSQL to webhook receivers, while the
test kills the gateway (SIGKILL), kills the adapter in the middle of deliveries, restarts
RabbitMQ, restarts PostgreSQL and makes the receiver fail for a while. A client retries each
message with its Idempotency-Key until it gets a 202, as a vendor's system would. Then every
message that got a 202 must be delivered exactly once, or parked with a reason.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest

from lgsp.journal import Journal
from tests.e2e.test_cli import add_system, free_port, lgsp_env
from tests.faults.processes import LgspProcess
from tests.gateway.test_messages import DOCUMENT
from tests.support import RECIPIENT, SENDER, STRANGER, Receiver, unique_prefix

pytestmark = [pytest.mark.integration, pytest.mark.faults, pytest.mark.broker_restart]

MESSAGES = int(os.environ.get("LGSP_FAULT_MESSAGES", "300"))
WORKERS = 8
PREFETCH = 20
PACE = 0.6  # seconds between one worker's messages: about 13 messages a second in all


def run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True, timeout=180)


async def restart_rabbitmq() -> None:
    await asyncio.to_thread(run, "rabbitmqctl", "-q", "stop_app")
    await asyncio.sleep(1.0)
    await asyncio.to_thread(run, "rabbitmqctl", "-q", "start_app")
    await asyncio.to_thread(run, "rabbitmqctl", "-q", "await_startup")


async def restart_postgresql() -> None:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    await asyncio.to_thread(
        run, "pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"
    )


class Load:
    """A vendor's client: each message retried with its Idempotency-Key until a 202."""

    def __init__(self, base: str, key: str) -> None:
        self.base = base
        self.key = key
        self.accepted: dict[str, str] = {}  # idempotency key → message id
        self.refused_503 = 0
        self.connection_errors = 0
        self.given_up: list[str] = []

    async def send_all(self, count: int) -> None:
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(count):
            queue.put_nowait(i)
        async with httpx.AsyncClient(base_url=self.base, timeout=10) as http:
            await asyncio.gather(*(self._worker(http, queue) for _ in range(WORKERS)))

    async def _worker(self, http: httpx.AsyncClient, queue: asyncio.Queue[int]) -> None:
        while not queue.empty():
            i = queue.get_nowait()
            await self._send(http, f"fault-{i}", i)
            await asyncio.sleep(PACE)  # a steady load that outlasts the faults

    async def _send(self, http: httpx.AsyncClient, key: str, i: int) -> None:
        recipients = [RECIPIENT] if i % 3 else [RECIPIENT, STRANGER]
        body = {
            "type": "document.send",
            "recipients": recipients,
            "body": {**DOCUMENT, "subject": f"Văn bản số {i}"},
        }
        headers = {"Authorization": f"Bearer {self.key}", "Idempotency-Key": key}
        for _ in range(240):
            try:
                response = await http.post("/v1/messages", json=body, headers=headers)
            except httpx.TransportError:
                self.connection_errors += 1
            else:
                if response.status_code == 202:
                    self.accepted[key] = response.json()["id"]
                    return
                assert response.status_code == 503, response.text
                self.refused_503 += 1
            await asyncio.sleep(0.25)
        self.given_up.append(key)


async def when(load: Load, accepted: int, fault: Callable[[], Awaitable[None]]) -> None:
    async with asyncio.timeout(120):
        while len(load.accepted) < accepted:
            await asyncio.sleep(0.05)
    await fault()


async def test_nothing_accepted_is_lost_through_crashes_and_restarts(
    tmp_path: Path,
    rabbit_url: str,
    database: str,
    receiver: Receiver,
    report: Callable[[str], None],
) -> None:
    port = free_port()
    env = lgsp_env(
        broker_url=rabbit_url,
        broker_prefix=unique_prefix(),
        db_url=database,
        http_port=str(port),
        blob_dir=str(tmp_path / "blobs"),
        publish_timeout="3",
        retry_schedule="[0.5, 1, 2]",
        prefetch=str(PREFETCH),
        retry_max_attempts="60",
        log_level="INFO",
    )
    env["LGSP_LOG_FORMAT"] = "json"
    sender = add_system(env, "vp-ubnd", SENDER, receiver.hook("b"))
    add_system(env, "so-a", RECIPIENT, receiver.hook("so-a"))
    add_system(env, "so-b", STRANGER, receiver.hook("so-b"))
    gateway = LgspProcess("gateway", ["gateway"], env, tmp_path)
    adapter = LgspProcess("adapter", ["adapter", "document"], env, tmp_path)
    ready = f"http://127.0.0.1:{port}/readyz"
    await gateway.start(ready_url=ready)
    await adapter.start()
    load = Load(f"http://127.0.0.1:{port}", sender["api_key"])
    faults_done: list[str] = []
    marks: list[tuple[int, str]] = [(0, "start")]  # where in the receiver's calls each came

    async def kill_gateway() -> None:
        marks.append((len(receiver.calls), "gateway killed"))
        await gateway.kill()
        faults_done.append("gateway killed")

    async def kill_adapter() -> None:
        async with asyncio.timeout(30):  # in the middle of deliveries
            before = len(receiver.calls)
            while len(receiver.calls) == before:
                await asyncio.sleep(0.01)
        marks.append((len(receiver.calls), "adapter killed"))
        await adapter.kill()
        # Let the restarted adapter take back what the dead one had in hand before the next
        # fault, so that what each fault does can be told apart.
        await asyncio.sleep(4)
        faults_done.append("adapter killed")

    async def broker() -> None:
        marks.append((len(receiver.calls), "rabbitmq restarted"))
        await restart_rabbitmq()
        faults_done.append("rabbitmq restarted")

    async def postgres() -> None:
        marks.append((len(receiver.calls), "postgresql restarted"))
        await restart_postgresql()
        faults_done.append("postgresql restarted")

    async def receiver_fails() -> None:
        marks.append((len(receiver.calls), "receiver failed"))
        receiver.status = 503
        await asyncio.sleep(3)
        receiver.status = 204
        faults_done.append("receiver failed for 3 s")

    try:

        async def faults() -> None:
            # One after the other, each once the load has got that far.
            for share, fault in (
                (1, kill_gateway),
                (2, kill_adapter),
                (3, broker),
                (5, postgres),
                (6, receiver_fails),
            ):
                await when(load, MESSAGES * share // 8, fault)

        await asyncio.gather(load.send_all(MESSAGES), faults())
        accepted = set(load.accepted.values())
        journal = await Journal.open(database)
        try:
            async with asyncio.timeout(240):
                while True:
                    records = [await journal.get(m) for m in accepted]
                    settled = [r for r in records if r and r.status in ("delivered", "dead")]
                    if len(settled) == len(accepted):
                        break
                    await asyncio.sleep(0.5)
            dead = {r.id: r for r in records if r and r.status == "dead"}
        finally:
            await journal.close()
    finally:
        await adapter.stop()
        await gateway.stop()

    calls: Counter[tuple[str, str]] = Counter(
        (headers["X-LGSP-Message-Id"], system)
        for system, headers, _ in receiver.calls
        if system in ("so-a", "so-b")
    )
    answered = {k for k, n in calls.items() if n}
    expected = {(load.accepted[k], r) for k in load.accepted for r in _recipient_systems(k)}
    delivered = {m for m, _ in answered} & accepted
    lost = [pair for pair in expected if pair not in answered and pair[0] not in dead]
    # A recipient that answered 503 (the failing receiver) is called again: that is a retry,
    # not a duplicate. A duplicate is a second call after a 2xx.
    duplicates, after = _delivered_twice(receiver, marks)
    summary = {
        "accepted": len(accepted),
        "delivered": len(delivered),
        "dead": len(dead),
        "lost": len(lost),
        "duplicates": duplicates,
        "refused_503": load.refused_503,
        "connection_errors": load.connection_errors,
        "not_accepted": len(load.given_up),
        "duplicates_after": after,
        "faults": faults_done,
    }
    report("faults: " + json.dumps(summary, ensure_ascii=False))
    assert len(faults_done) == 5
    assert not load.given_up
    assert len(accepted) == MESSAGES
    assert lost == []
    # SIGKILL between a recipient's 2xx and the journal's record of it cannot be told from a
    # call that never arrived: those deliveries come again, under the same X-LGSP-Message-Id
    # (which receivers de-duplicate on), at most one per delivery the adapter had in hand.
    # Every other fault repeats nothing.
    assert after.get("adapter killed", 0) <= PREFETCH
    assert duplicates - after.get("adapter killed", 0) == 0
    assert not dead, {m: r.events[-1].detail for m, r in dead.items()}


def _recipient_systems(key: str) -> list[str]:
    i = int(key.rsplit("-", 1)[1])
    return ["so-a"] if i % 3 else ["so-a", "so-b"]


def _delivered_twice(
    receiver: Receiver, marks: list[tuple[int, str]]
) -> tuple[int, dict[str, int]]:
    """Second calls after a 2xx, and which fault each came after."""
    answered_ok: set[tuple[str, str]] = set()
    after: Counter[str] = Counter()
    for index, ((system, headers, _), status) in enumerate(
        zip(receiver.calls, receiver.statuses, strict=True)
    ):
        if system not in ("so-a", "so-b") or not 200 <= status < 300:
            continue
        key = (headers["X-LGSP-Message-Id"], system)
        if key in answered_ok:
            after[next(name for start, name in reversed(marks) if start <= index)] += 1
        answered_ok.add(key)
    return sum(after.values()), dict(after)
