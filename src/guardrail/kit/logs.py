"""Logging as text or JSON lines."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

from guardrail.kit.time import isoformat, utcnow

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "color_message",  # uvicorn's coloured copy of the message
}


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with any ``extra=`` fields kept."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": isoformat(utcnow()),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        data.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s%(extras)s")

    def format(self, record: logging.LogRecord) -> str:
        extras = {k: v for k, v in record.__dict__.items() if k not in _STANDARD and k != "extras"}
        record.extras = "".join(f" {k}={v}" for k, v in extras.items())
        return super().format(record)


def configure_logging(fmt: str = "text", level: str = "INFO") -> None:
    """Send guardrail's and uvicorn's logs to stderr in one format."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    # guardrail writes its own access log with the request id; uvicorn's would repeat it.
    logging.getLogger("uvicorn.access").disabled = True
