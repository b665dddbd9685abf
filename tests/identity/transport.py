"""The relying party's HTTP client in tests: requests to the stand-in go through
the Django test client, so they pass the stand-in's real views and URL routing.
A test may replace the token endpoint's answer (`on_token`) to hand the relying
party a token the test made itself, or count the calls."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.test import Client

from identity.providers.http import HttpResponse


class TestClientTransport:
    def __init__(self) -> None:
        self.client = Client()
        self.calls: list[tuple[str, str]] = []
        # Other addresses the test serves (e.g. an attacker's JWKS), URL → JSON.
        self.served: dict[str, Any] = {}
        # Given the stand-in's token response (status, JSON body), returns the one to use.
        self.on_token: Callable[[int, dict[str, Any]], tuple[int, dict[str, Any]]] | None = None

    def _path(self, url: str) -> tuple[str, str]:
        parts = urlsplit(url)
        return parts.netloc, parts.path + (f"?{parts.query}" if parts.query else "")

    def get(self, url: str) -> HttpResponse:
        host, path = self._path(url)
        self.calls.append(("GET", urlsplit(url).path))
        if url in self.served:
            return HttpResponse(status=200, body=json.dumps(self.served[url]).encode())
        response = self.client.get(path, HTTP_HOST=host)
        return HttpResponse(status=response.status_code, body=response.content)

    def post_form(self, url: str, data: Mapping[str, str]) -> HttpResponse:
        host, path = self._path(url)
        self.calls.append(("POST", urlsplit(url).path))
        response = self.client.post(
            path,
            urlencode(dict(data)),
            content_type="application/x-www-form-urlencoded",
            HTTP_HOST=host,
        )
        if self.on_token is not None and path.endswith("/token"):
            status, body = self.on_token(response.status_code, json.loads(response.content))
            return HttpResponse(status=status, body=json.dumps(body).encode())
        return HttpResponse(status=response.status_code, body=response.content)


current = TestClientTransport()


def factory() -> TestClientTransport:
    """IDENTITY_HTTP_CLIENT in tests: the transport of the running test."""
    return current
