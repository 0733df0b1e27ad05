"""Logging for the entry points (``python -m bot``, ``crisisbot``): text lines, or one JSON object per line.

``CRISISBOT_LOG_FORMAT=json`` gives log shippers (Loki, Elasticsearch, journald's JSON) lines they
need not parse: ``{"time", "level", "logger", "message"}``, plus ``exception`` with the traceback.
Only the entry points call ``configure``; modules just ``logging.getLogger(__name__)``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure(level: str = "WARNING", log_format: str = "text", text_format: str = TEXT_FORMAT) -> None:
    """The root logger's one handler (stderr) at ``level`` (an unknown name: WARNING), as text or JSON lines."""
    level = level.upper()
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(text_format))
    logging.basicConfig(level=level if level in logging.getLevelNamesMapping() else "WARNING", handlers=[handler])
