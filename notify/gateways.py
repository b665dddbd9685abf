"""Where text messages go: one small interface, chosen by SMS_BACKEND.

- "console": prints the message with the number masked (development, `make run`);
- "http": a JSON POST to the county's SMS gateway (SMS_HTTP_URL, HTTP Basic
  credentials, SMS_SENDER); production uses this;
- "off": nothing is offered;
- a dotted path: any class implementing `SmsGateway` (another gateway's protocol).

A gateway never logs the number: errors name the status, not the request."""

from __future__ import annotations

import base64
import json
import sys
import urllib.error
import urllib.request
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


class SmsError(Exception):
    """Sending failed and may work later (network, timeout, 5xx, 429)."""


class SmsRejected(SmsError):
    """The gateway refused this message (4xx): trying again will not help."""


class SmsGateway(Protocol):
    def send(self, *, to: str, text: str) -> None:
        """Send `text` to `to` (E.164), or raise SmsError / SmsRejected."""


def mask_number(number: str) -> str:
    """+358401234567 → +358 *** **67: enough to tell two test phones apart."""
    digits = number.strip()
    return f"{digits[:4]} *** **{digits[-2:]}" if len(digits) > 6 else "***"


class ConsoleGateway:
    """Prints the message (development): the number masked, as in any log."""

    def __init__(self, stream=None) -> None:
        self.stream = stream

    def send(self, *, to: str, text: str) -> None:
        stream = self.stream or sys.stdout
        stream.write(
            f"--- text message from {settings.SMS_SENDER} to {mask_number(to)} ---\n{text}\n---\n"
        )
        stream.flush()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect would resend the number and the credentials somewhere else.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class HttpGateway:
    """POSTs `{"sender", "to", "text"}` as JSON to SMS_HTTP_URL, with HTTP Basic
    credentials when SMS_HTTP_USERNAME is set. 2xx is sent; 429 and 5xx, a
    timeout or a refused connection may be retried; other answers are refused."""

    def __init__(self) -> None:
        self.url = settings.SMS_HTTP_URL
        self.timeout = settings.SMS_HTTP_TIMEOUT_SECONDS
        self.opener = urllib.request.build_opener(_NoRedirects)

    def send(self, *, to: str, text: str) -> None:
        body = json.dumps({"sender": settings.SMS_SENDER, "to": to, "text": text}).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if settings.SMS_HTTP_USERNAME:
            pair = f"{settings.SMS_HTTP_USERNAME}:{settings.SMS_HTTP_PASSWORD}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")  # noqa: S310 - the configured gateway
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                response.read(65536)
        except urllib.error.HTTPError as exc:
            status = exc.code
            exc.close()
            if status == 429 or status >= 500:
                raise SmsError(f"gateway answered {status}") from None
            raise SmsRejected(f"gateway answered {status}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise SmsError(f"gateway unreachable ({type(exc).__name__})") from None


def sms_enabled() -> bool:
    """Whether the intake offers the text message at all."""
    return settings.SMS_BACKEND != "off"


def get_gateway() -> SmsGateway:
    backend = settings.SMS_BACKEND
    if backend == "console":
        return ConsoleGateway()
    if backend == "http":
        return HttpGateway()
    if backend == "off":
        raise SmsRejected("text messages are off (SMS_BACKEND=off)")
    return import_string(backend)()
