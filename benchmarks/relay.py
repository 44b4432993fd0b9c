"""Accept-path throughput: lgsp's gateway against a bare aiohttp → aio-pika relay.

Both servers take the same JSON document over HTTP, publish it persistently with a publisher
confirm to a quorum queue on the same RabbitMQ, and answer 202. The bare relay does nothing else;
lgsp also authenticates, checks rights, validates against the schemas and journals the message
(SQLite by default, PostgreSQL with --db). Each server runs in its own process; the load comes from
this one. Rounds alternate baseline and lgsp so drift on a shared machine hits both alike; the
ratio is taken round by round.

    python benchmarks/relay.py --requests 4000 --concurrency 64 --rounds 3

Needs RabbitMQ on 127.0.0.1 and ``rabbitmqctl`` (a vhost is made for the run and deleted).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

DOCUMENT = {
    "type": "document.send",
    "recipients": ["000.00.12.H41"],
    "body": {
        "code": {"number": "1234", "notation": "UBND-VX"},
        "promulgation": {"place": "Nghệ An", "date": "2026-11-20"},
        "document_type": {"type": 1, "detail": 2, "name": "Công văn"},
        "subject": "V/v triển khai nền tảng tích hợp, chia sẻ dữ liệu cấp tỉnh",
        "content": "Đề nghị các sở, ngành kết nối hệ thống quản lý văn bản với LGSP.",
        "signer": {"competence": "TM. UBND", "position": "Chủ tịch", "full_name": "Nguyễn Văn A"},
        "priority": 1,
        "to_places": ["Sở Thông tin và Truyền thông"],
    },
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- the two servers ----------------------------------------------------------------------------


async def serve_baseline(broker_url: str, port: int) -> None:
    import aio_pika
    from aiohttp import web

    connection = await aio_pika.connect_robust(broker_url)
    channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
    exchange = await channel.declare_exchange("bare.messages", "topic", durable=True)
    queue = await channel.declare_queue(
        "bare.document", durable=True, arguments={"x-queue-type": "quorum"}
    )
    await queue.bind(exchange, "document.#")

    async def post(request: web.Request) -> web.Response:
        body = await request.read()
        await exchange.publish(
            aio_pika.Message(body, message_id=secrets.token_hex(16), delivery_mode=2),
            "document.send",
            mandatory=True,
            timeout=5,
        )
        return web.json_response({"status": "accepted"}, status=202)

    app = web.Application()
    app.router.add_post("/v1/messages", post)
    await web._run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


async def serve_lgsp(broker_url: str, db_url: str, port: int, key_file: str) -> None:
    from lgsp.gateway.serving import serve_http
    from lgsp.journal import Journal
    from lgsp.logs import configure_logging
    from lgsp.registry import register_system
    from lgsp.runtime import open_services, wait_for_stop
    from lgsp.settings import Settings

    settings = Settings(
        broker_url=broker_url, db_url=db_url, http_port=port, log_level="WARNING",
        log_format="json", broker_prefix="bench",
    )
    configure_logging(settings)
    journal = await Journal.open(db_url)
    created = await register_system(
        journal.systems, system_id="bench", agency="000.00.00.H41", may_send=["document.send"]
    )
    await journal.close()
    Path(key_file).write_text(created["api_key"])
    async with open_services(settings) as services, serve_http(services, "127.0.0.1", port):
        await wait_for_stop()


# -- load ---------------------------------------------------------------------------------------


async def load(url: str, key: str, requests: int, concurrency: int) -> float:
    body = json.dumps(DOCUMENT).encode()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    remaining = requests
    failures = 0

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal remaining, failures
        while remaining > 0:
            remaining -= 1
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
                if response.status != 202:
                    failures += 1

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        for _ in range(min(200, requests)):  # warm-up: connections, caches, JIT of the schemas
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{failures} requests were not accepted")
    return requests / elapsed


async def wait_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise SystemExit("server exited early")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise SystemExit("server did not start")


def start(args: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, __file__, *args])


async def measure(kind: str, opts: argparse.Namespace, broker_url: str, db_url: str) -> float:
    port = free_port()
    key_file = tempfile.mktemp(prefix="lgsp-bench-key-")
    if kind == "baseline":
        process = start(["--serve", "baseline", "--broker", broker_url, "--port", str(port)])
    else:
        process = start(["--serve", "lgsp", "--broker", broker_url, "--db", db_url,
                         "--port", str(port), "--key-file", key_file])
    try:
        await wait_listening(port, process)
        for _ in range(100):
            if kind == "baseline" or os.path.exists(key_file):
                break
            await asyncio.sleep(0.1)
        key = Path(key_file).read_text() if kind == "lgsp" else "none"
        return await load(f"http://127.0.0.1:{port}/v1/messages", key, opts.requests, opts.concurrency)
    finally:
        process.terminate()
        process.wait(timeout=30)
        if os.path.exists(key_file):
            os.unlink(key_file)


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True)


async def main(opts: argparse.Namespace) -> None:
    vhost = f"lgsp-bench-{secrets.token_hex(3)}"
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    broker_url = f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    baseline: list[float] = []
    ours: list[float] = []
    try:
        for round_no in range(opts.rounds):
            with tempfile.TemporaryDirectory() as tmp:
                db_url = opts.db or f"sqlite:///{tmp}/lgsp.db"
                baseline.append(await measure("baseline", opts, broker_url, db_url))
                ours.append(await measure("lgsp", opts, broker_url, db_url))
            print(f"round {round_no + 1}: baseline {baseline[-1]:.0f} req/s, "
                  f"lgsp {ours[-1]:.0f} req/s, ratio {ours[-1] / baseline[-1]:.2f}", flush=True)
            rabbitmqctl("purge_queue", "-p", vhost, "bare.document")
            rabbitmqctl("purge_queue", "-p", vhost, "bench.document")
    finally:
        rabbitmqctl("delete_vhost", vhost)
    ratios = [o / b for o, b in zip(ours, baseline, strict=True)]
    print(f"median: baseline {statistics.median(baseline):.0f} req/s, "
          f"lgsp {statistics.median(ours):.0f} req/s, "
          f"ratio {statistics.median(ratios):.2f} (min {min(ratios):.2f}, max {max(ratios):.2f})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", default="", help="journal URL (default: SQLite in a temp dir)")
    parser.add_argument("--serve", choices=("baseline", "lgsp"), help=argparse.SUPPRESS)
    parser.add_argument("--broker", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--key-file", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.serve == "baseline":
        asyncio.run(serve_baseline(opts.broker, opts.port))
    elif opts.serve == "lgsp":
        asyncio.run(serve_lgsp(opts.broker, opts.db, opts.port, opts.key_file))
    else:
        asyncio.run(main(opts))
