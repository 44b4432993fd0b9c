"""Settings from LGSP_* variables; logging masks personal data."""

from __future__ import annotations

import json
import logging

import pytest
import structlog
from pydantic import ValidationError

from lgsp.logs import configure_logging, mask_personal_data, mask_text
from lgsp.settings import Settings


def test_settings_read_lgsp_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LGSP_HTTP_PORT", "9090")
    monkeypatch.setenv("LGSP_DB_URL", "postgresql://lgsp@db:5432/lgsp")
    monkeypatch.setenv("LGSP_BUS", "memory")
    settings = Settings()
    assert settings.http_port == 9090
    assert settings.db_url == "postgresql://lgsp@db:5432/lgsp"
    assert settings.bus == "memory"
    assert {"http_port", "db_url", "bus"} <= settings.model_fields_set


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(ValidationError):
        settings.http_port = 1  # type: ignore[misc]


def test_settings_refuse_nonsense(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LGSP_PUBLISH_TIMEOUT", "-1")
    with pytest.raises(ValidationError):
        Settings()


def test_mask_text_keeps_only_the_province_prefix() -> None:
    assert mask_text("id 001090012345 and 064095000123.") == "id 001********* and 064*********."
    assert mask_text("order 1234567890123 stays") == "order 1234567890123 stays"  # 13 digits
    # A message id whose last group happens to be all digits is not a personal ID number.
    uuid = "01a20a77-a046-7faa-a963-123456789012"
    assert mask_text(f"message {uuid}") == f"message {uuid}"
    assert mask_text("maHoSo LGSP-001090012345") == "maHoSo LGSP-001*********"


def test_library_lines_through_standard_logging_are_masked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The capture handler is one of the root's handlers: it gets the filter every handler gets.
    caplog.set_level(logging.DEBUG)
    configure_logging(Settings(log_format="json", log_level="DEBUG"))
    amqp = logging.getLogger("aiormq.connection")
    try:
        amqp.info("frame body 001090012345")
        amqp.debug("frame dump 064095000123")
    finally:
        structlog.reset_defaults()
        for handler in logging.getLogger().handlers:
            handler.filters.clear()
    assert "001*********" in caplog.text
    assert "001090012345" not in caplog.text
    # The AMQP client's DEBUG lines are whole frames, bodies included: never written.
    assert "frame dump" not in caplog.text


def test_mask_personal_data_masks_names_and_nested_ids() -> None:
    event = {
        "event": "lookup",
        "full_name": "Nguyễn Văn An",
        "body": {"mother": {"full_name": "Trần Thị Bình", "personal_id": "001190012345"}},
        "error": "bad id 054088001234",
        "type": "civil_status.birth",
    }
    masked = mask_personal_data(None, "info", event)
    text = json.dumps(masked, ensure_ascii=False)
    for secret in ("Nguyễn Văn An", "Trần Thị Bình", "001190012345", "054088001234"):
        assert secret not in text
    assert masked["full_name"] == "N*** V*** A***"
    assert masked["type"] == "civil_status.birth"


def test_configured_logging_masks_what_it_writes(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(Settings(log_format="json"))
    try:
        structlog.get_logger("t").info("citizen", personal_id="001090012345", full_name="Lê Văn C")
        line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    finally:
        structlog.reset_defaults()
    assert line["personal_id"] == "001*********"
    assert line["full_name"] == "L*** V*** C***"
    assert line["level"] == "info"
