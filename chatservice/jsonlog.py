"""Structured logs: one JSON object per line, for the county's log collector.

Every line carries the time (UTC, ISO 8601), level, logger, message and, when the
line was written while serving a request or a socket, its `request_id`
(chatservice.requestlog). Fields passed with `extra={...}` become fields of
their own. Nothing here adds personal data, and what looks like an identity code, e-mail
address or phone number is masked (chatservice.logfilters.mask_personal_data).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from chatservice.logfilters import mask_personal_data
from chatservice.requestlog import current_request_id

# The attributes every LogRecord has; anything else was passed with `extra`.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": mask_personal_data(record.getMessage()),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id:
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in entry and not key.startswith("_"):
                entry[key] = value if isinstance(value, str | int | float | bool) else str(value)
        if record.exc_info:
            entry["exception"] = mask_personal_data(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exception"] = mask_personal_data(record.exc_text)
        return json.dumps(entry, ensure_ascii=False)
