"""``Metrics``: a registry per process, labels kept to fixed sets, deliveries named as the bus
settles them; and the small ``/metrics`` server of an adapter process."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from prometheus_client import REGISTRY

from lgsp.bus import Delivery
from lgsp.bus.base import Outcome
from lgsp.bus.scope import run_handler
from lgsp.errors import JournalUnavailable, PermanentDeliveryError, RetryLater
from lgsp.metrics import CONTENT_TYPE, Metrics
from lgsp.metrics_server import serve_metrics
from lgsp.runtime import open_services
from lgsp.settings import Settings
from tests.support import make_settings, new_bus

DELIVERY = Delivery(
    message_id="m-1",
    routing_key="document.send",
    body=b"{}",
    type="document.send",
    headers={},
    correlation_id=None,
    content_type="application/json",
    redelivered=False,
    delivery_count=0,
)


def sample(metrics: Metrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def test_each_metrics_keeps_its_own_registry() -> None:
    first, second = Metrics(), Metrics()
    first.accepted("document.send")
    assert sample(first, "lgsp_messages_accepted_total", type="document.send") == 1
    assert sample(second, "lgsp_messages_accepted_total", type="document.send") is None
    assert (
        REGISTRY.get_sample_value("lgsp_messages_accepted_total", {"type": "document.send"}) is None
    )
    assert sample(first, "lgsp_build_info", version="0.1.0") == 1


def test_labels_stay_in_their_fixed_sets() -> None:
    metrics = Metrics()
    metrics.accepted("nguyen.van.an")
    metrics.lookup("001099012345", "found", 0.01)
    metrics.http_request("BREW", "unmatched", 404, 0.001)
    assert sample(metrics, "lgsp_messages_accepted_total", type="other") == 1
    assert sample(metrics, "lgsp_lookups_total", type="other", outcome="found") == 1
    labels = {"method": "other", "route": "unmatched", "status": "404"}
    assert sample(metrics, "lgsp_http_requests_total", **labels) == 1
    text = metrics.exposition().decode()
    assert "nguyen" not in text
    assert "001099012345" not in text
    assert "BREW" not in text
    assert CONTENT_TYPE.startswith("text/plain")


async def _park(delivery: Delivery, reason: str) -> None:
    pass


async def _delay(delivery: Delivery, seconds: float, reason: str) -> None:
    pass


@pytest.mark.parametrize(
    ("raised", "outcome", "settled"),
    [
        (None, "handled", Outcome.ACK),
        (RetryLater("webhook answered 503", delay=1.0), "retry", Outcome.ACK),
        (JournalUnavailable("the journal is down"), "retry", Outcome.ACK),
        (PermanentDeliveryError("not registered in this province"), "parked", Outcome.ACK),
        (ValueError("a bug"), "requeued", Outcome.REQUEUE),
    ],
)
async def test_a_delivery_is_named_as_the_bus_settles_it(
    raised: Exception | None, outcome: str, settled: Outcome
) -> None:
    metrics = Metrics()

    async def handle(delivery: Delivery) -> None:
        if raised is not None:
            raise raised

    scoped = run_handler(DELIVERY, handle, _park, _delay, axis="document", observer=metrics)
    assert await scoped is settled
    assert sample(metrics, "lgsp_deliveries_total", axis="document", outcome=outcome) == 1
    assert sample(metrics, "lgsp_delivery_duration_seconds_count", axis="document") == 1


async def test_the_bus_is_read_at_each_scrape() -> None:
    metrics = Metrics()
    bus = new_bus("memory")
    metrics.watch_bus(bus)
    assert sample(metrics, "lgsp_broker_connected") == 0
    await bus.start()
    try:
        assert sample(metrics, "lgsp_broker_connected") == 1
        assert sample(metrics, "lgsp_requests_pending") == 0
    finally:
        await bus.close()


def test_the_metrics_port_is_off_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LGSP_METRICS_PORT", raising=False)
    assert Settings().metrics_port == 0
    monkeypatch.setenv("LGSP_METRICS_PORT", "9464")
    assert Settings().metrics_port == 9464


async def test_an_adapter_process_serves_metrics_and_healthz(tmp_path: Path) -> None:
    settings = make_settings(
        bus="memory", db_url=f"sqlite:///{tmp_path / 'lgsp.db'}", blob_dir=str(tmp_path / "b")
    )
    async with (
        open_services(settings) as services,
        serve_metrics(services.metrics, "127.0.0.1", 0) as port,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http,
    ):
        services.metrics.accepted("document.send")
        scraped = await http.get("/metrics")
        assert scraped.status_code == 200
        assert scraped.headers["Content-Type"] == CONTENT_TYPE
        assert 'lgsp_messages_accepted_total{type="document.send"} 1.0' in scraped.text
        assert "lgsp_broker_connected 1.0" in scraped.text
        assert (await http.get("/healthz")).json() == {"status": "ok"}
