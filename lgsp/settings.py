"""The one settings object, read from ``LGSP_*`` environment variables.

Built once by the CLI (or a test) and passed down; nothing else in lgsp reads ``os.environ``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    """Everything a process of lgsp needs to know about its surroundings, with named defaults."""

    model_config = SettingsConfigDict(env_prefix="LGSP_", frozen=True, extra="ignore")

    # Where things are.
    broker_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    """``amqp://user:pass@host:port/vhost``; a cluster's nodes comma-separated."""
    bus: Literal["rabbitmq", "memory"] = "rabbitmq"
    """``memory`` is the embedded in-process bus of ``lgsp demo`` and unit tests."""
    broker_prefix: str = Field(default="lgsp", pattern=r"^[a-z][a-z0-9_.-]{0,30}$")
    """First word of every exchange and queue name, so several deployments can share a vhost."""
    db_url: str = "sqlite:///lgsp.db"
    """``sqlite:///path/lgsp.db`` or ``postgresql://user@host:port/db``."""
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=0, le=65535)
    metrics_port: int = Field(default=0, ge=0, le=65535)
    """Where ``lgsp adapter`` serves ``/metrics`` and ``/healthz`` (on ``http_host``); 0: not
    served. The gateway serves its own ``/metrics`` on ``http_port``."""

    # Limits and timeouts.
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    """Largest request body the gateway reads; past it, 413."""
    max_document_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)
    """Largest edXML package ``POST /v1/documents`` reads; past it, 413."""
    blob_threshold_bytes: int = Field(default=256 * 1024, ge=0)
    """Packages larger than this travel through the broker as a reference to the blob store."""
    blob_dir: str = "lgsp-blobs"
    """The folder of the blob store."""
    invalid_signature: Literal["flag", "refuse"] = "flag"
    """An edXML package whose XML signature does not verify: accepted and marked, or refused."""
    national_document_url: str = ""
    """The national document axis (VDXP) base URL; empty: no bridge, other provinces unreachable."""
    national_document_system_id: str = ""
    national_document_secret: str = ""
    national_poll_interval: float = Field(default=5.0, gt=0)
    """Seconds between polls of the national document axis for received packages."""
    request_timeout: float = Field(default=10.0, gt=0)
    """Seconds a lookup (``POST /v1/requests``) waits for its answer when the caller sets no
    ``deadline``."""
    request_max_timeout: float = Field(default=30.0, gt=0)
    """The longest a lookup may wait, whatever ``deadline`` the caller asks for."""

    # The civil-status axis: the Ministry of Justice's civil-status system and the agencies the
    # joined procedures (LTKS, LTKT) fan out to. Empty URL: that service is not configured.
    civil_status_url: str = ""
    """Base URL of the Ministry's civil-status service (``.../hotich/1.0/dangKyHoTich``)."""
    civil_status_unit: str = ""
    """``maDonVi``: this province's unit code at the Ministry."""
    civil_status_api_key: str = Field(default="", repr=False)
    civil_status_api_key_header: str = "X-API-Key"
    civil_status_poll_interval: float = Field(default=30.0, gt=0)
    """Seconds between status checks (``traTrangThaiHoSo``) of a registration not yet done."""
    residence_url: str = ""
    """The residence registry (cư trú): permanent residence for LTKS, its removal for LTKT."""
    residence_api_key: str = Field(default="", repr=False)
    health_insurance_url: str = ""
    """Social security's health insurance (BHYT) card service, for LTKS."""
    health_insurance_api_key: str = Field(default="", repr=False)
    funeral_allowance_url: str = ""
    """Social security's funeral allowance (trợ cấp mai táng) service, for LTKT."""
    funeral_allowance_api_key: str = Field(default="", repr=False)

    # The national axis: the national data platform (NDXP) and the public service portal.
    national_platform_url: str = ""
    """Base URL of the national data platform (``/token``, ``/dancu/1.0/...``)."""
    national_client_id: str = ""
    national_client_secret: str = Field(default="", repr=False)
    national_citizen_api: str = "dancu/1.0"
    """``<api>/<version>`` of the population lookup."""
    national_catalog_version: str = "1.0"
    """Version of the shared catalogue APIs (``/<catalog>/<version>/...``)."""
    national_portal_api: str = "dvcqg/1.0"
    """``<api>/<version>`` of the public service portal's dossier sync."""

    publish_timeout: float = Field(default=5.0, gt=0)
    """Seconds to wait for the broker to confirm a publish before answering 503."""
    journal_timeout: float = Field(default=5.0, gt=0)
    """Seconds to wait for the journal to record a message before answering 503."""
    connect_timeout: float = Field(default=10.0, gt=0)
    """Seconds to reach the broker and the journal at start before giving up."""
    journal_batch_size: int = Field(default=200, ge=1)
    """Most rows the journal writer puts in one transaction."""
    prefetch: int = Field(default=100, ge=1, le=65535)
    delivery_limit: int = Field(default=20, ge=1)
    """Redeliveries of one message before the broker dead-letters it (poison messages)."""
    webhook_timeout: float = Field(default=10.0, gt=0)
    retry_schedule: tuple[float, ...] = (1.0, 5.0, 30.0, 120.0, 600.0, 3600.0)
    """Seconds before each retry of a failed delivery; past the last, the last step repeats."""
    retry_max_attempts: int = Field(default=30, ge=0)
    """Retries of one message before it is parked in dead letters (30: a day at the default)."""
    breaker_threshold: int = Field(default=5, ge=1)
    """Consecutive failures of one endpoint that open its circuit."""
    breaker_cooldown: float = Field(default=30.0, gt=0)
    """Seconds an open circuit waits before one delivery goes through as a probe."""
    retry_jitter: float = Field(default=0.2, ge=0, le=0.5)
    """Each delay is shortened at random by up to this share, so retries do not come in herds."""
    system_cache_ttl: float = Field(default=30.0, ge=0)
    """Seconds a gateway trusts its cached copy of a system's registration."""
    publisher_channels: int = Field(default=4, ge=1, le=64)
    """Confirm-mode channels a gateway publishes on, round robin."""
    shutdown_timeout: float = Field(default=10.0, gt=0)
    """Seconds a stopping process gives the work in hand (deliveries, requests) to finish."""
    drain_seconds: float = Field(default=0.0, ge=0)
    """Seconds a stopping gateway reports not ready before it stops taking requests, so load
    balancers turn away first."""

    # Logging.
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["auto", "json", "console"] = "auto"
    """``auto``: JSON unless standard error is a terminal."""
