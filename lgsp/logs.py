"""structlog, configured once per process: JSON lines off a terminal, context from contextvars.

Modules call ``structlog.get_logger()`` and nothing else. Personal data (12-digit personal ID
numbers, names under name-like keys) is masked here, in the one processor every line goes through,
so no caller can forget it.

Not for: metrics or the journal's audit trail.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

from lgsp.settings import Settings

__all__ = ["configure_logging", "mask_personal_data", "mask_text"]

# Twelve digits standing alone; not the last group of a UUID (message ids), which can be all digits.
_PERSONAL_ID = re.compile(r"(?<!\d)(?<![0-9a-fA-F]{4}-)(\d{3})\d{9}(?!\d)")
_NAME_KEYS = re.compile(r"(^|_)(full_name|name|ho_ten|hoten)$|hoten$|HoTen$", re.IGNORECASE)
# Keys whose values are names of things, not people: never masked.
_NOT_PEOPLE = frozenset({"event", "logger", "level", "type", "axis", "queue", "exchange", "name_"})


def mask_text(text: str) -> str:
    """Mask every 12-digit personal ID number inside ``text``, keeping its province prefix."""
    return _PERSONAL_ID.sub(r"\1*********", text)


def _mask_name(name: str) -> str:
    return " ".join(part[:1] + "***" for part in name.split())


def _mask_value(key: str, value: Any) -> Any:
    if isinstance(value, str):
        if key not in _NOT_PEOPLE and _NAME_KEYS.search(key):
            return _mask_name(value)
        return mask_text(value)
    if isinstance(value, Mapping):
        return {k: _mask_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask_value(key, v) for v in value]
    return value


def mask_personal_data(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: personal ID numbers and people's names never leave unmasked."""
    for key, value in event_dict.items():
        if isinstance(value, str | Mapping | list | tuple):
            event_dict[key] = _mask_value(key, value)
        elif isinstance(value, BaseException):
            event_dict[key] = mask_text(repr(value))
    return event_dict


class _MaskingFilter(logging.Filter):
    """The same masking for lines libraries write through the standard library's logging."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_text(record.getMessage())
        record.args = None
        return True


def configure_logging(settings: Settings) -> None:
    """Configure structlog and the standard library's logging for this process."""
    level = getattr(logging, settings.log_level)
    as_json = settings.log_format == "json" or (
        settings.log_format == "auto" and not sys.stderr.isatty()
    )
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            mask_personal_data,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.WriteLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    # Libraries log through the standard library; keep them quiet unless asked.
    logging.basicConfig(level=max(level, logging.WARNING), stream=sys.stderr, format="%(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(_MaskingFilter())
    # The AMQP client logs each failed (re)connection on its own; lgsp's bus logs the broker's
    # state once, in its own words, and the CLI turns a failed start into one line. Its DEBUG
    # lines dump whole frames, message bodies (and the personal data in them) included: even at
    # DEBUG, it says no more than INFO.
    for name in ("aiormq", "aio_pika"):
        logging.getLogger(name).setLevel(
            logging.INFO if level == logging.DEBUG else logging.CRITICAL
        )
