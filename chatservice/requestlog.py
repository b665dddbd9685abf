"""Request ids, and one log line per HTTP request and per socket lifecycle event.

The id comes from the proxy's `X-Request-ID` (nginx: `$request_id`, so the
proxy's access log and ours share it) when it looks like one, otherwise a new
one; it is returned in the response's `X-Request-ID` and attached to every log
line written while serving the request or the socket (chatservice.jsonlog).

The lines carry no personal data: method, the path without its query string
(admin searches put names there), status, duration, the socket's kind and close
code. Never the client's address, cookies, names or message bodies.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from contextvars import ContextVar

from django.conf import settings

logger = logging.getLogger("chatservice.requests")

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


def current_request_id() -> str | None:
    return _request_id.get()


def request_id_from(header: str | None) -> str:
    """The proxy's id when it is a plausible one (not free text a client wrote), else a new id."""
    if header and _VALID_ID.match(header):
        return header
    return uuid.uuid4().hex


def set_request_id(value: str):
    return _request_id.set(value)


def reset_request_id(token) -> None:
    _request_id.reset(token)


class RequestLogMiddleware:
    """Gives each request its id and, with LOG_REQUESTS, logs one line when it is answered."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.enabled = settings.LOG_REQUESTS

    def __call__(self, request):
        request_id = request_id_from(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = request_id
        token = set_request_id(request_id)
        started = time.monotonic()
        try:
            response = self.get_response(request)
        finally:
            reset_request_id(token)
        response["X-Request-ID"] = request_id
        if self.enabled and request.path_info not in ("/healthz", "/readyz"):
            logger.info(
                "%s %s %s",
                request.method,
                request.path_info,
                response.status_code,
                extra={
                    "event": "http.request",
                    "request_id": request_id,
                    "method": request.method,
                    "path": request.path_info,
                    "status": response.status_code,
                    "duration_ms": round((time.monotonic() - started) * 1000, 1),
                },
            )
        return response
