"""The relying party's HTTP to the identity provider (discovery, JWKS, token),
behind a small injectable client.

IDENTITY_HTTP_CLIENT names a factory returning an `HttpClient`. The default goes
out over HTTPS with urllib (timeouts, a size cap, no redirects followed) and, when
the stand-in provider is enabled, serves the stand-in's URLs inside this process
through the same functions its views use. Tests route to the stand-in's views
through the Django test client instead (tests/identity/transport.py).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

MAX_RESPONSE_BYTES = 1024 * 1024


class HttpError(Exception):
    """The provider could not be reached, or answered too much."""


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: bytes
    content_type: str = ""

    def json(self) -> Any:
        """The body as JSON; ValueError when it is not."""
        return json.loads(self.body)


class HttpClient(Protocol):
    def get(self, url: str) -> HttpResponse: ...

    def post_form(self, url: str, data: Mapping[str, str]) -> HttpResponse: ...


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A provider's endpoints are where its metadata says; a redirect is an error.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class UrllibClient:
    """HTTPS with the system's trust store. Plain HTTP only outside production
    (a locally run test provider)."""

    def __init__(self, *, timeout: float | None = None, allow_http: bool | None = None):
        self.timeout = timeout if timeout is not None else settings.IDENTITY_HTTP_TIMEOUT_SECONDS
        self.allow_http = (not settings.PRODUCTION) if allow_http is None else allow_http
        self.opener = urllib.request.build_opener(_NoRedirects())

    def _open(self, request: urllib.request.Request) -> HttpResponse:
        scheme = urllib.parse.urlsplit(request.full_url).scheme
        if scheme != "https" and not (scheme == "http" and self.allow_http):
            raise HttpError(f"refusing a {scheme or 'relative'} URL")
        request.add_header("Accept", "application/json")
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                body = response.read(MAX_RESPONSE_BYTES + 1)
                status, content_type = response.status, response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as error:
            body = error.read(MAX_RESPONSE_BYTES + 1)
            status, content_type = error.code, error.headers.get("Content-Type", "")
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise HttpError(type(error).__name__) from None
        if len(body) > MAX_RESPONSE_BYTES:
            raise HttpError("response too large")
        return HttpResponse(status=status, body=body, content_type=content_type)

    def get(self, url: str) -> HttpResponse:
        return self._open(urllib.request.Request(url, method="GET"))  # noqa: S310 (scheme checked)

    def post_form(self, url: str, data: Mapping[str, str]) -> HttpResponse:
        body = urllib.parse.urlencode(dict(data)).encode()
        request = urllib.request.Request(url, data=body, method="POST")  # noqa: S310
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
        return self._open(request)


class StandinRouter:
    """Development: the stand-in provider's back-channel endpoints (discovery,
    JWKS, token) answer inside this process, through the functions its views
    call; anything else goes to `fallback`. A server calling itself over HTTP
    would need to know its own address and would hold a worker while waiting."""

    def __init__(self, fallback: HttpClient):
        self.fallback = fallback

    def get(self, url: str) -> HttpResponse:
        from identity.standin import server

        if server.handles(url):
            return server.dispatch("GET", url, {})
        return self.fallback.get(url)

    def post_form(self, url: str, data: Mapping[str, str]) -> HttpResponse:
        from identity.standin import server

        if server.handles(url):
            return server.dispatch("POST", url, dict(data))
        return self.fallback.post_form(url, data)


def default_client() -> HttpClient:
    client = UrllibClient()
    if settings.IDENTITY_STANDIN_ENABLED:
        return StandinRouter(client)
    return client


def get_client() -> HttpClient:
    return import_string(settings.IDENTITY_HTTP_CLIENT)()
