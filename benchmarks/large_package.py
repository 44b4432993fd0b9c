"""Gateway memory for one large edXML package: accepted, stored once, delivered whole.

Starts ``lgsp gateway`` and ``lgsp adapter document`` as separate processes on RabbitMQ (a vhost
made for the run) with a SQLite journal, registers a sender and an edXML recipient whose webhook is
served here, posts one package of ``--megabytes`` MB (a binary attachment, base64 inside the
package) and waits for the recipient to receive exactly those bytes. It reports the gateway
process's peak resident memory (VmHWM) above its resident memory just before the upload, as a
multiple of the package size.

    python benchmarks/large_package.py --megabytes 50
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from aiohttp import web

from lgsp.schemas import DocumentSend
from lgsp.schemas.edxml import Organization, document_from_json, write

LGSP = str(Path(sys.executable).parent / "lgsp")
SENDER, RECIPIENT = "000.00.00.H41", "000.00.12.H41"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def memory_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for {pid}")


def package(megabytes: float) -> bytes:
    raw = os.urandom(int(megabytes * 1024 * 1024 * 3 / 4))  # base64 makes it 4/3 larger
    body = DocumentSend.model_validate({
        "code": {"number": "1", "notation": "UBND-VX"},
        "promulgation": {"place": "Nghệ An", "date": "2026-11-20"},
        "subject": "Hồ sơ quét kèm theo",
        "attachments": [{"content_id": "cid:1", "name": "scan.pdf",
                         "content_type": "application/pdf",
                         "data": base64.b64encode(raw).decode()}],
    })
    return write(document_from_json(
        body, sender=Organization(organ_id=SENDER), recipients=[Organization(organ_id=RECIPIENT)]
    ))


async def main(opts: argparse.Namespace) -> None:
    vhost = f"lgsp-bench-{secrets.token_hex(3)}"
    subprocess.run(["rabbitmqctl", "-q", "add_vhost", vhost], check=True)
    subprocess.run(["rabbitmqctl", "-q", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"],
                   check=True)
    received: asyncio.Queue[bytes] = asyncio.Queue()

    async def hook(request: web.Request) -> web.Response:
        await received.put(await request.read())
        return web.Response(status=204)

    app = web.Application(client_max_size=1 << 30)
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    hook_port = free_port()
    await web.TCPSite(runner, "127.0.0.1", hook_port).start()
    processes: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("LGSP_")}
        env.update({
            "LGSP_BROKER_URL": f"amqp://guest:guest@127.0.0.1:5672/{vhost}",
            "LGSP_DB_URL": f"sqlite:///{tmp}/lgsp.db", "LGSP_BLOB_DIR": f"{tmp}/blobs",
            "LGSP_HTTP_PORT": str(port), "LGSP_MAX_DOCUMENT_BYTES": str(200 * 1024 * 1024),
            "LGSP_LOG_LEVEL": "WARNING", "LGSP_WEBHOOK_TIMEOUT": "120",
        })

        def add(system: str, agency: str, *extra: str) -> dict[str, str]:
            out = subprocess.run([LGSP, "systems", "add", "--id", system, "--agency", agency,
                                  "--may-send", "document.send", *extra],
                                 env=env, check=True, capture_output=True, text=True).stdout
            created: dict[str, str] = json.loads(out)
            return created

        key = add("sender", SENDER)["api_key"]
        add("recipient", RECIPIENT, "--format", "edxml", "--webhook",
            f"http://127.0.0.1:{hook_port}/hook")
        try:
            gateway = subprocess.Popen([LGSP, "gateway"], env=env)
            processes += [gateway, subprocess.Popen([LGSP, "adapter", "document"], env=env)]
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=300) as http:
                for _ in range(300):
                    try:
                        if (await http.get("/readyz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.1)
                headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/xml"}
                warm = package(0.1)  # first use of every code path, before measuring
                assert (await http.post("/v1/documents", content=warm, headers=headers)).is_success
                await asyncio.wait_for(received.get(), 60)
                data = package(opts.megabytes)
                digest = hashlib.sha256(data).hexdigest()
                await asyncio.sleep(0.5)
                before = memory_kib(gateway.pid, "VmRSS")
                # Reset the high-water mark so it measures this upload alone.
                Path(f"/proc/{gateway.pid}/clear_refs").write_text("5")
                started = time.perf_counter()
                answer = await http.post("/v1/documents", content=data, headers=headers)
                accepted = time.perf_counter() - started
                assert answer.status_code == 202, answer.text
                got = await asyncio.wait_for(received.get(), 300)
                delivered = time.perf_counter() - started
                peak = memory_kib(gateway.pid, "VmHWM")
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=30)
            await runner.cleanup()
            subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], check=True)
    size = len(data)
    growth = (peak - before) * 1024
    print(f"package {size / 1e6:.1f} MB; accepted in {accepted:.2f} s, delivered in "
          f"{delivered:.2f} s; received intact: {hashlib.sha256(got).hexdigest() == digest}")
    print(f"gateway RSS before {before / 1024:.0f} MiB, peak {peak / 1024:.0f} MiB: "
          f"growth {growth / 1e6:.1f} MB = {growth / size:.2f} x the package")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=50)
    asyncio.run(main(parser.parse_args()))
