"""A real three-node RabbitMQ cluster loses a node under load: the platform carries on through the
other two, and nothing accepted is lost or delivered twice.

The cluster is ``tests/faults/cluster.py``'s, beside the system's own node (never touched). The
platform is the real ``lgsp run`` (gateway and document adapter in one process, SQLite journal),
started as ``tests/e2e/test_cli.py`` starts it, with ``LGSP_BROKER_URL`` listing every node and
beginning with the node the test takes away. So the process's one connection (publishing and
consuming) is on that node, and so are the leaders of its quorum queues (declared through it):
when it goes, the client has to move to another node and the queues have to elect new leaders.

Two faults, on one cluster: ``stop`` (``rabbitmqctl stop``: an operator shuts the node down) and
``kill`` (SIGKILL to its Erlang VM: a crash). In each, ``document.send`` POSTs go out at a bounded
rate; after a third of them the node goes, after two thirds it is started again (it rejoins), and
sending never pauses. A 503 is allowed (the caller was told); every 202 must reach the recipient's
webhook exactly once (by ``X-LGSP-Message-Id``), and end ``delivered`` in the journal. One line
sums it up, e.g. ``cluster: accepted=290 delivered=290 dead=0 lost=0 duplicates=0 refused_503=10``.

``LGSP_TEST_SKIP_CLUSTER=1`` skips it; otherwise a machine that cannot start the cluster fails it,
with the reason.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from lgsp.bus import Topology
from tests.e2e.test_cli import LGSP, add_system, free_port, lgsp_env, wait_ready
from tests.faults.cluster import Cluster, ClusterError, Node, running_cluster
from tests.gateway.test_messages import message
from tests.support import RECIPIENT, SENDER, Receiver, unique_prefix

pytestmark = [pytest.mark.integration, pytest.mark.cluster]

MESSAGES = 300
RATE = 25.0
"""POSTs a second, at most."""
IN_FLIGHT = 16
"""POSTs waiting for an answer, at most."""
DRAIN_TIMEOUT = 90.0
"""Seconds for every accepted message to reach its webhook once sending is over."""
SCENARIO_TIMEOUT = 200.0
"""Seconds for one fault, from starting lgsp to its last check (about 25 when all is well)."""


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    if os.environ.get("LGSP_TEST_SKIP_CLUSTER") == "1":
        pytest.skip("LGSP_TEST_SKIP_CLUSTER=1: no three-node RabbitMQ cluster on this machine")
    started = time.monotonic()
    try:
        with running_cluster(3) as running:
            print(
                f"\ncluster: {', '.join(n.name for n in running.nodes)} running after "
                f"{time.monotonic() - started:.1f}s (AMQP ports "
                f"{', '.join(str(n.amqp_port) for n in running.nodes)})"
            )
            yield running
    except ClusterError as exc:
        pytest.fail(
            f"the three-node RabbitMQ cluster failed: {exc}\n"
            "(set LGSP_TEST_SKIP_CLUSTER=1 on a machine that cannot run one)",
            pytrace=False,
        )


@dataclass
class Load:
    """What the sender saw: the id of each 202, how many of each answer (status code, or the
    transport error), and when each 503 came."""

    accepted: list[str] = field(default_factory=list)
    answers: Counter[str] = field(default_factory=Counter)
    refused_at: list[float] = field(default_factory=list)
    sent: int = 0
    progress: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def count_sent(self) -> None:
        async with self.progress:
            self.sent += 1
            self.progress.notify_all()

    async def wait_sent(self, count: int) -> None:
        async with self.progress:
            await self.progress.wait_for(lambda: self.sent >= count)


@dataclass
class Lgsp:
    base: str
    api_key: str
    prefix: str
    log: Path

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


@asynccontextmanager
async def lgsp_run(tmp_path: Path, broker_url: str, receiver: Receiver) -> AsyncIterator[Lgsp]:
    """``lgsp run`` on the cluster, with a sender system and a recipient whose webhook is
    ``receiver``'s."""
    port = free_port()
    prefix = unique_prefix()
    env = lgsp_env(
        broker_url=broker_url,
        broker_prefix=prefix,
        db_url=f"sqlite:///{tmp_path / 'lgsp.db'}",
        http_port=str(port),
        connect_timeout="10",
        publish_timeout="5",
    )
    sender = add_system(env, "sender", SENDER, receiver.hook("sender"))
    add_system(env, "recipient", RECIPIENT, receiver.hook("recipient"))
    log_path = tmp_path / "lgsp.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            LGSP, "run", env=env, stdout=log, stderr=subprocess.STDOUT
        )
        base = f"http://127.0.0.1:{port}"
        try:
            await wait_ready(base, process)
            yield Lgsp(base, sender["api_key"], prefix, log_path)
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                try:
                    async with asyncio.timeout(30):
                        await process.wait()
                except TimeoutError:
                    process.kill()
                    await process.wait()


async def send(lgsp: Lgsp, load: Load) -> None:
    """``MESSAGES`` POSTs at ``RATE`` a second, ``IN_FLIGHT`` at most waiting, whatever answers."""
    gate = asyncio.Semaphore(IN_FLIGHT)
    headers = {"Authorization": f"Bearer {lgsp.api_key}"}
    started = time.monotonic()

    async def one(http: httpx.AsyncClient, n: int) -> None:
        try:
            answer = await http.post(
                "/v1/messages", json=message(correlation_id=f"load-{n}"), headers=headers
            )
        except httpx.TransportError as exc:
            load.answers[type(exc).__name__] += 1
        else:
            load.answers[str(answer.status_code)] += 1
            if answer.status_code == 202:
                load.accepted.append(answer.json()["id"])
            elif answer.status_code == 503:
                load.refused_at.append(time.monotonic())
        finally:
            gate.release()
            await load.count_sent()

    async with (
        httpx.AsyncClient(base_url=lgsp.base, timeout=30) as http,
        asyncio.TaskGroup() as group,
    ):
        for n in range(MESSAGES):
            await asyncio.sleep(max(0.0, started + n / RATE - time.monotonic()))
            await gate.acquire()
            group.create_task(one(http, n))


async def fault(cluster: Cluster, victim: Node, how: str, load: Load) -> dict[str, float]:
    """Take ``victim`` away after a third of the load, start it again after two thirds; when."""
    await load.wait_sent(MESSAGES // 3)
    went = time.monotonic()
    await asyncio.to_thread(cluster.kill_node if how == "kill" else cluster.stop_node, victim)
    await load.wait_sent(2 * MESSAGES // 3)
    back = time.monotonic()
    await asyncio.to_thread(cluster.start_node, victim)
    await asyncio.to_thread(cluster.await_running, cluster.nodes, via=victim)
    return {"went": went, "back": back, "rejoined": time.monotonic()}


async def drain(cluster: Cluster, lgsp: Lgsp, load: Load, receiver: Receiver) -> None:
    """Until every accepted message reached the webhook and the work queue is empty; then a
    moment more, for any late duplicate."""
    queue = Topology(prefix=lgsp.prefix).work_queue("document")
    accepted = set(load.accepted)
    async with asyncio.timeout(DRAIN_TIMEOUT):
        while not accepted <= set(_delivered_ids(receiver)):
            await asyncio.sleep(0.2)
        while True:
            queues = await asyncio.to_thread(cluster.queues, cluster.nodes[-1])
            if queues[queue]["messages"] == 0:
                break
            await asyncio.sleep(0.5)
    await asyncio.sleep(2)


def _delivered_ids(receiver: Receiver) -> list[str]:
    return [headers["X-LGSP-Message-Id"] for system, headers, _ in receiver.calls]


async def journal_statuses(lgsp: Lgsp, ids: list[str]) -> Counter[str]:
    headers = {"Authorization": f"Bearer {lgsp.api_key}"}
    gate = asyncio.Semaphore(16)
    async with httpx.AsyncClient(base_url=lgsp.base, timeout=30) as http:

        async def status(message_id: str) -> str:
            async with gate:
                answer = await http.get(f"/v1/messages/{message_id}", headers=headers)
            return str(answer.json()["status"]) if answer.status_code == 200 else "missing"

        return Counter(await asyncio.gather(*(status(i) for i in ids)))


@pytest.mark.parametrize(("how", "victim_label"), [("stop", "c1"), ("kill", "c2")])
async def test_losing_a_node_under_load_loses_nothing(
    cluster: Cluster,
    receiver: Receiver,
    tmp_path: Path,
    how: str,
    victim_label: str,
    report: Callable[[str], None],
) -> None:
    victim = next(node for node in cluster.nodes if node.label == victim_label)
    others = [node for node in cluster.nodes if node is not victim]
    await asyncio.to_thread(cluster.await_running, cluster.nodes, via=others[0])
    test_started = time.monotonic()

    async with (
        asyncio.timeout(SCENARIO_TIMEOUT),
        lgsp_run(tmp_path, cluster.urls_from(victim), receiver) as lgsp,
    ):
        topology = Topology(prefix=lgsp.prefix)
        queues = await asyncio.to_thread(cluster.queues, victim)
        for axis in topology.axes:
            row = queues[topology.work_queue(axis)]
            assert row["type"] == "quorum", row
            assert sorted(row["members"]) == sorted(n.name for n in cluster.nodes), row
        leader_before = queues[topology.work_queue("document")]["leader"]
        ports = await asyncio.to_thread(cluster.connection_ports, victim)
        assert ports, "lgsp has no connection to the cluster"
        assert set(ports) == {victim.amqp_port}, f"lgsp is not on {victim.name} alone: {ports}"

        load = Load()
        sending = asyncio.create_task(send(lgsp, load))
        try:
            times = await fault(cluster, victim, how, load)
        finally:
            await sending
        await drain(cluster, lgsp, load, receiver)

        ports_after = await asyncio.to_thread(cluster.connection_ports, others[0])
        queues_after = await asyncio.to_thread(cluster.queues, others[0])
        statuses = await journal_statuses(lgsp, load.accepted)
        log_tail = lgsp.log_tail()

    accepted = set(load.accepted)
    calls = Counter(_delivered_ids(receiver))
    delivered = accepted & set(calls)
    lost = accepted - delivered
    duplicates = sum(count - 1 for message_id, count in calls.items() if message_id in accepted)
    after_503 = set(calls) - accepted
    refused = load.answers["503"]
    went = times["went"]
    outage = (
        f"{min(load.refused_at) - went:+.1f}s..{max(load.refused_at) - went:+.1f}s"
        if load.refused_at
        else "none"
    )
    moved_to = sorted({cluster.node_on_port(p).label for p in ports_after})
    report(
        f"cluster: accepted={len(accepted)} delivered={len(delivered)} "
        f"dead={statuses['dead']} lost={len(lost)} duplicates={duplicates} "
        f"refused_503={refused}"
        f"\n  fault={how} {victim.label} · lgsp moved {victim.label}->{','.join(moved_to)} · "
        f"503s from the fault {outage} · {victim.label} back after "
        f"{times['rejoined'] - times['back']:.1f}s · document queue leader "
        f"{leader_before} -> {queues_after[topology.work_queue('document')]['leader']} · "
        f"delivered_after_503={len(after_503)} · answers={dict(load.answers)} · "
        f"journal={dict(statuses)} · {time.monotonic() - test_started:.1f}s"
    )

    assert set(load.answers) <= {"202", "503"}, f"{dict(load.answers)}\n{log_tail}"
    assert len(accepted) == len(load.accepted), "the gateway gave one id twice"
    assert len(accepted) >= MESSAGES // 2, f"too few accepted: {dict(load.answers)}\n{log_tail}"
    assert not lost, f"{len(lost)} accepted messages never reached the webhook\n{log_tail}"
    twice = sorted(i for i, count in calls.items() if count > 1 and i in accepted)
    assert duplicates == 0, f"reached the webhook more than once: {twice} (log: {lgsp.log})"
    assert statuses == Counter({"delivered": len(accepted)}), dict(statuses)
    assert ports_after, "lgsp has no connection to the cluster"
    assert victim.amqp_port not in ports_after, f"lgsp did not move off {victim.name}"
