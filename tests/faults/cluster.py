"""A throwaway three-node RabbitMQ cluster on this machine, for fault tests.

Three nodes of the installed ``rabbitmq-server`` run beside the system's own ``rabbit@localhost``,
which this module never touches: each has its own node name (``lgsp-c1-<run>@localhost``: a
random suffix per run, so two runs never collide), its own AMQP and distribution ports (free
ones, picked below the kernel's ephemeral range so that no outgoing connection takes them while a
node is down) and its own folders under one temporary directory.

Run as root, the Debian wrappers ``rabbitmq-server`` and ``rabbitmqctl`` switch to the
``rabbitmq`` user (``su``, which keeps the environment but sets ``HOME=/var/lib/rabbitmq``): that
directory is handed to that user, and the nodes and the CLI both read that home's Erlang cookie,
the one ``rabbit@localhost`` uses. No cookie ever appears on a command line (``rabbitmqctl
--erlang-cookie`` would be needed only if the CLI ran as root with root's ``$HOME``).

Each node is started with ``rabbitmq-server -detached`` and this environment (files in the node's
own folder):

    RABBITMQ_NODENAME              lgsp-cN-<run>@localhost
    RABBITMQ_DIST_PORT             a free port: the node's inter-node and CLI traffic
    RABBITMQ_CONFIG_FILE           rabbitmq.conf: listeners.tcp.default = 127.0.0.1:<free port>
    RABBITMQ_ENABLED_PLUGINS_FILE  enabled_plugins: [] (no management plugin: light nodes)
    RABBITMQ_MNESIA_BASE, RABBITMQ_LOG_BASE, RABBITMQ_PID_FILE
    RABBITMQ_CONF_ENV_FILE         an empty file, so /etc/rabbitmq/rabbitmq-env.conf
                                   (NODENAME=rabbit@localhost) is not read
    RABBITMQ_ADVANCED_CONFIG_FILE  a file that does not exist
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS  distribution on the loopback interface only
    ERL_EPMD_ADDRESS=127.0.0.1, ERL_CRASH_DUMP in the node's folder

The first node starts alone; the others then boot side by side and join it one at a time
(``stop_app``, ``join_cluster``, ``start_app``); ``cluster_status`` must then list every node as
running. A quorum queue declared after that has a member on every node (its initial group size
is the cluster's size).

Teardown, always (also when starting failed): ``rabbitmqctl stop`` per node, then any process
still running under one of this run's node names (found by the node name in its environment) is
killed by its pid, and the directory is removed. Every wait has a deadline.

Not for: the system's node, or anything about lgsp.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import random
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Cluster", "ClusterError", "Node", "running_cluster"]

NODE_USER = "rabbitmq"
"""Who the nodes run as when the tests run as root (the Debian wrappers' choice)."""
BOOT_TIMEOUT = 90.0
"""Seconds for one node to go from ``rabbitmq-server -detached`` to booted."""
CTL_TIMEOUT = 60.0
"""Seconds for one ``rabbitmqctl`` command."""
STOP_TIMEOUT = 60.0
"""Seconds for a node's process to be gone after ``rabbitmqctl stop``."""
_SBIN = ("/usr/sbin", "/usr/local/sbin", "/usr/lib/rabbitmq/bin")


class ClusterError(RuntimeError):
    """The cluster could not be started, driven or stopped; the message says why."""


@dataclass(frozen=True, slots=True)
class Node:
    label: str
    """``c1``, ``c2``, ...: the node's place in the cluster."""
    name: str
    amqp_port: int
    dist_port: int
    home: Path

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.amqp_port}/"

    @property
    def pid_file(self) -> Path:
        return self.home / "rabbitmq.pid"

    @property
    def log_file(self) -> Path:
        return self.home / "log" / f"{self.name}.log"

    @property
    def crash_dump(self) -> Path:
        return self.home / "erl_crash.dump"

    def environment(self) -> dict[str, str]:
        """What ``rabbitmq-server`` is started with, besides a clean copy of ours."""
        return {
            "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_CONFIG_FILE": str(self.home / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(self.home / "advanced.config"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.home / "enabled_plugins"),
            "RABBITMQ_CONF_ENV_FILE": str(self.home / "rabbitmq-env.conf"),
            "RABBITMQ_MNESIA_BASE": str(self.home / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.home / "log"),
            "RABBITMQ_PID_FILE": str(self.pid_file),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "ERL_CRASH_DUMP": str(self.crash_dump),
        }

    def log_tail(self, lines: int = 25) -> str:
        """The end of the node's log (and the slogan of a crash dump), to explain a failure."""
        parts: list[str] = []
        with contextlib.suppress(OSError), self.crash_dump.open(errors="replace") as dump:
            parts.append(f"crash dump: {dump.readline().strip()} {dump.readline().strip()}")
        try:
            text = self.log_file.read_text(errors="replace").splitlines()
            parts.append("\n".join(text[-lines:]))
        except OSError:
            parts.append(f"(no log at {self.log_file})")
        return "\n".join(parts)


def _which(tool: str) -> str:
    path = os.pathsep.join([os.environ.get("PATH", ""), *_SBIN])
    found = shutil.which(tool, path=path)
    if found is None:
        raise ClusterError(
            f"{tool} is not installed (looked in PATH and {', '.join(_SBIN)}): install the "
            "rabbitmq-server package"
        )
    return found


def _free_ports(count: int) -> list[int]:
    """Ports nothing listens on, below the ephemeral range (where no client port comes from)."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    candidates = [p for p in range(20000, min(low, 32768)) if p not in (25672, 5672)]
    random.shuffle(candidates)
    chosen: list[int] = []
    for port in candidates:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        chosen.append(port)
        if len(chosen) == count:
            return chosen
    raise ClusterError(f"no {count} free ports between 20000 and {low}")


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _run(command: Sequence[str], *, env: dict[str, str], cwd: Path, timeout: float) -> str:
    """Run ``command``; its output, or ``ClusterError`` saying what went wrong. On a timeout the
    whole process group goes (the wrappers' ``su`` and the CLI's Erlang VM with it)."""
    shown = " ".join(command)
    process = subprocess.Popen(
        command,
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise ClusterError(f"`{shown}` did not finish within {timeout:.0f}s") from None
    if process.returncode != 0:
        detail = (err.strip() or out.strip())[-2000:]
        raise ClusterError(f"`{shown}` failed (exit status {process.returncode}): {detail}")
    return out


class Cluster:
    """Nodes of one cluster on this machine; ``start`` brings them up, ``close`` takes them down
    for good. Blocking calls: from async code, run them in a thread."""

    def __init__(self, size: int = 3) -> None:
        self._server = _which("rabbitmq-server")
        self._ctl = _which("rabbitmqctl")
        self._owner: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            try:
                self._owner = pwd.getpwnam(NODE_USER)
            except KeyError:
                raise ClusterError(
                    f"running as root, but there is no {NODE_USER!r} user to run the nodes as"
                ) from None
        run = secrets.token_hex(3)
        ports = _free_ports(2 * size)
        self.base = Path(tempfile.mkdtemp(prefix=f"lgsp-cluster-{run}-"))
        self.nodes = tuple(
            Node(
                label=f"c{i + 1}",
                name=f"lgsp-c{i + 1}-{run}@localhost",
                amqp_port=ports[2 * i],
                dist_port=ports[2 * i + 1],
                home=self.base / f"c{i + 1}",
            )
            for i in range(size)
        )
        clean = {
            k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "ERL_", "LC_"))
        }
        self._env = {**clean, "LC_ALL": "C.UTF-8"}

    # ---------------------------------------------------------------------------------------
    # Describing the cluster

    @property
    def broker_url(self) -> str:
        """Every node's URL, comma-separated, the first node first."""
        return self.urls_from(self.nodes[0])

    def urls_from(self, first: Node) -> str:
        """Every node's URL, comma-separated, starting at ``first``: a client given this list
        connects to ``first`` and moves to the next nodes when it goes."""
        at = self.nodes.index(first)
        return ",".join(node.url for node in self.nodes[at:] + self.nodes[:at])

    def node_on_port(self, port: int) -> Node:
        return next(node for node in self.nodes if node.amqp_port == port)

    # ---------------------------------------------------------------------------------------
    # Driving it

    def ctl(self, node: Node, *args: str, timeout: float = CTL_TIMEOUT) -> str:
        """``rabbitmqctl -n NODE -q ARGS``; its standard output."""
        return _run(
            [self._ctl, "-n", node.name, "-q", *args], env=self._env, cwd=self.base, timeout=timeout
        )

    def ctl_json(self, node: Node, *args: str) -> Any:
        return json.loads(self.ctl(node, *args, "--formatter", "json"))

    def start(self) -> None:
        """Boot every node and cluster them; ``ClusterError`` when that does not happen."""
        self._prepare()
        seed, *others = self.nodes
        self.start_node(seed)
        for node in others:
            self._launch(node)
        for node in others:
            self._await_boot(node, time.monotonic() + BOOT_TIMEOUT)
            self.ctl(node, "stop_app")
            self.ctl(node, "join_cluster", seed.name)
            self.ctl(node, "start_app")
            self.ctl(node, "await_startup", "--timeout", str(int(BOOT_TIMEOUT)))
        self.await_running(self.nodes, via=seed)

    def start_node(self, node: Node) -> None:
        """Start ``node`` (again, after ``stop_node`` or ``kill_node``: it rejoins the cluster)."""
        self._launch(node)
        self._await_boot(node, time.monotonic() + BOOT_TIMEOUT)

    def stop_node(self, node: Node) -> None:
        """Stop ``node`` as an operator would (``rabbitmqctl stop``); returns once it is gone."""
        pids = self.pids(node)
        self.ctl(node, "stop", timeout=STOP_TIMEOUT)
        self._await_gone(node, pids, time.monotonic() + STOP_TIMEOUT)

    def kill_node(self, node: Node) -> None:
        """Kill ``node``'s Erlang VM outright (SIGKILL), as a crash or a power cut would."""
        pids = self.pids(node)
        if not pids:
            raise ClusterError(f"{node.name} is not running: nothing to kill")
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self._await_gone(node, pids, time.monotonic() + 30)

    def running_nodes(self, via: Node) -> set[str]:
        status = self.ctl_json(via, "cluster_status")
        return set(status.get("running_nodes", []))

    def await_running(self, nodes: Sequence[Node], *, via: Node, timeout: float = 60) -> None:
        """Until ``via`` sees exactly ``nodes`` running."""
        wanted = {node.name for node in nodes}
        deadline = time.monotonic() + timeout
        while (running := self.running_nodes(via)) != wanted:
            if time.monotonic() > deadline:
                raise ClusterError(
                    f"{via.name} sees {sorted(running)} running, not {sorted(wanted)}"
                )
            time.sleep(0.5)

    def queues(self, via: Node, vhost: str = "/") -> dict[str, dict[str, Any]]:
        """Queue name to ``{type, members, leader, online, messages}``, as ``via`` sees them."""
        rows = self.ctl_json(
            via, "list_queues", "-p", vhost, "name", "type", "members", "leader", "online",
            "messages",
        )  # fmt: skip
        return {row["name"]: row for row in rows}

    def connection_ports(self, via: Node) -> list[int]:
        """The AMQP port of the node each client connection of the cluster is on."""
        return [int(row["port"]) for row in self.ctl_json(via, "list_connections", "port")]

    def pids(self, node: Node) -> list[int]:
        """The Erlang VMs running as ``node``: found by the node name in their environment (the
        name is unique to this run), so nothing else on the machine is ever matched."""
        marker = f"RABBITMQ_NODENAME={node.name}".encode()
        found: list[int] = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if (entry / "comm").read_text().strip() != "beam.smp":
                    continue
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:  # gone meanwhile, or not ours to read
                continue
        return found

    def close(self) -> list[str]:
        """Stop every node, kill what is left, remove the directory; what could not be done."""
        problems: list[str] = []

        def stop(node: Node) -> None:
            pids = self.pids(node)
            if not pids:
                return
            try:
                self.ctl(node, "stop", timeout=STOP_TIMEOUT)
                self._await_gone(node, pids, time.monotonic() + STOP_TIMEOUT)
            except ClusterError as exc:
                problems.append(f"{node.name}: {exc}")

        with ThreadPoolExecutor(len(self.nodes)) as pool:
            list(pool.map(stop, self.nodes))
        for node in self.nodes:
            for pid in self.pids(node):
                problems.append(f"{node.name} still ran as pid {pid} after stop: killed")
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 15
        while (left := [pid for node in self.nodes for pid in self.pids(node)]) and (
            time.monotonic() < deadline
        ):
            time.sleep(0.2)
        if left:
            problems.append(f"pids {left} survived SIGKILL")
        shutil.rmtree(self.base, ignore_errors=True)
        return problems

    # ---------------------------------------------------------------------------------------
    # Inside

    def _prepare(self) -> None:
        self.base.chmod(0o755)
        for node in self.nodes:
            (node.home / "mnesia").mkdir(parents=True)
            (node.home / "log").mkdir()
            (node.home / "rabbitmq.conf").write_text(
                f"# {node.label} of a throwaway lgsp test cluster (tests/faults/cluster.py)\n"
                f"listeners.tcp.default = 127.0.0.1:{node.amqp_port}\n"
                "loopback_users.guest = true\n"
                "log.console = false\n"
                "log.file.level = info\n"
            )
            (node.home / "enabled_plugins").write_text("[].\n")
            (node.home / "rabbitmq-env.conf").write_text("")
        if self._owner is not None:
            for path in [self.base, *self.base.rglob("*")]:
                os.chown(path, self._owner.pw_uid, self._owner.pw_gid)

    def _launch(self, node: Node) -> None:
        node.crash_dump.unlink(missing_ok=True)
        _run(
            [self._server, "-detached"],
            env={**self._env, **node.environment()},
            cwd=node.home,
            timeout=CTL_TIMEOUT,
        )

    def _await_boot(self, node: Node, deadline: float) -> None:
        # Polling the process and the AMQP port costs nothing; the CLI (an Erlang VM each time)
        # is asked only once the listener is up, which is late in the boot.
        while not (self.pids(node) and _listening(node.amqp_port)):
            if node.crash_dump.exists():
                raise ClusterError(f"{node.name} crashed while booting:\n{node.log_tail()}")
            if time.monotonic() > deadline:
                raise ClusterError(
                    f"{node.name} did not run and listen on port {node.amqp_port} within "
                    f"{BOOT_TIMEOUT:.0f}s:\n{node.log_tail()}"
                )
            time.sleep(0.25)
        left = max(5, int(deadline - time.monotonic()))
        try:
            self.ctl(node, "await_startup", "--timeout", str(left), timeout=left + 10)
        except ClusterError as exc:
            raise ClusterError(f"{exc}\n{node.name}'s log:\n{node.log_tail()}") from None

    def _await_gone(self, node: Node, pids: Sequence[int], deadline: float) -> None:
        while any(_alive(pid) for pid in pids):
            if time.monotonic() > deadline:
                raise ClusterError(f"{node.name} (pids {list(pids)}) did not go away")
            time.sleep(0.2)
        while _listening(node.amqp_port):
            if time.monotonic() > deadline:
                raise ClusterError(f"something still listens on {node.name}'s port")
            time.sleep(0.2)


def _alive(pid: int) -> bool:
    """Not gone and not a zombie waiting for its parent (a detached node's parent is init)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return False
    return fields[0] != "Z"


@contextlib.contextmanager
def running_cluster(size: int = 3) -> Iterator[Cluster]:
    """A started cluster of ``size`` nodes, torn down on the way out whatever happened.

    Raises ``ClusterError`` when it cannot be started (with the reason and the node's log), or
    when it could not be torn down completely.
    """
    cluster = Cluster(size)
    try:
        cluster.start()
        yield cluster
    except BaseException as exc:
        for problem in cluster.close():
            exc.add_note(f"cluster teardown: {problem}")
        raise
    problems = cluster.close()
    if problems:
        raise ClusterError("; ".join(problems))
