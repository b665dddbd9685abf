"""The SAML handoff through HTTP against the stand-in SAML identity provider, the
way a browser walks it: the link → the IdP's chooser → its "continue" form →
our ACS (POST) → the continuation (GET) in the resident's session.

Tests make their own bad responses: `tampering(change)` lets the stand-in build
its response and hands `change` the pysaml2 arguments (the assertion object,
InResponseTo, whether to sign or encrypt) before anything is signed, so the
result carries valid signatures over the test's content; `xml_of`/`b64` let a
test alter the signed bytes afterwards (bad signature, signature wrapping).
"""

from __future__ import annotations

import base64
import contextlib
import html
import inspect
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from saml2.server import Server

from identity.providers.base import Site
from identity.saml import sessions
from tests.conftest import need
from tests.identity.conftest import Flow, path_of

TRANSACTION = re.compile(r'name="transaction" value="([^"]+)"')
FORM_ACTION = re.compile(r'<form method="post" action="([^"]+)"')
FIELD = r'name="{}" value="([^"]*)"'
SITE = Site(origin="http://testserver")


def require_xmlsec() -> None:
    need(shutil.which("xmlsec1") is not None, "xmlsec1 is not installed (make system-packages)")


def xml_of(saml_response: str) -> str:
    return base64.b64decode(saml_response).decode()


def b64(xml: str) -> str:
    return base64.b64encode(xml.encode()).decode()


@dataclass
class PostBack:
    acs_path: str
    saml_response: str
    relay_state: str


@dataclass
class SamlFlow(Flow):
    sso_url: str = ""
    post: PostBack | None = None

    def open_link(self, browser: Client | None = None):
        response = super().open_link(browser)
        if response.status_code == 302:
            self.sso_url = response["Location"]
        return response

    def choose(self, *, person: str = "tessa", method: str = "testbank", action: str = "identify"):
        page = self.browser.get(path_of(self.sso_url))
        assert page.status_code == 200, page.content
        transaction = TRANSACTION.search(page.content.decode())
        assert transaction
        response = self.browser.post(
            urlsplit(self.sso_url).path,
            {"transaction": transaction[1], "person": person, "method": method, "action": action},
        )
        assert response.status_code == 200, response.content
        body = response.content.decode()
        action_url = FORM_ACTION.search(body)
        message = re.search(FIELD.format("SAMLResponse"), body)
        relay = re.search(FIELD.format("RelayState"), body)
        assert action_url and message and relay
        self.post = PostBack(
            urlsplit(html.unescape(action_url[1])).path,
            html.unescape(message[1]),
            html.unescape(relay[1]),
        )
        return response

    def come_back(
        self,
        browser: Client | None = None,
        url: str | None = None,
        *,
        saml_response: str | None = None,
        relay_state: str | None = None,
    ):
        """POST the (possibly replaced) response to the ACS, then follow the
        303 to the continuation, as the browser does."""
        assert self.post is not None
        browser = browser or self.browser
        form = {
            "SAMLResponse": self.post.saml_response if saml_response is None else saml_response,
            "RelayState": self.post.relay_state if relay_state is None else relay_state,
        }
        posted = browser.post(self.post.acs_path, form)
        if posted.status_code != 303:
            return posted
        return browser.get(posted["Location"])

    @property
    def login(self) -> dict[str, str] | None:
        return sessions.current(self.browser.session)


@contextlib.contextmanager
def tampering(change: Callable[[dict[str, Any]], None]) -> Iterator[None]:
    """While active, the stand-in's responses are built from the arguments as
    `change` leaves them (pysaml2's Server._response: `assertion`,
    `in_response_to`, `consumer_url`, `sign`, `sign_assertion`, `encrypt_assertion`…)."""
    original = Server._response
    signature = inspect.signature(original)

    def patched(self, *args, **kwargs):
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        arguments = dict(bound.arguments)
        arguments.pop("self")
        extra = arguments.pop("kwargs", {})
        change(_Merged(arguments, extra))
        return original(self, **arguments, **extra)

    Server._response = patched
    try:
        yield
    finally:
        Server._response = original


class _Merged(dict):
    """One mapping over pysaml2's named arguments and its **kwargs (the assertion)."""

    def __init__(self, arguments: dict[str, Any], extra: dict[str, Any]):
        super().__init__({**arguments, **extra})
        self._arguments, self._extra = arguments, extra

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        (self._arguments if key in self._arguments else self._extra)[key] = value


@pytest.fixture
def saml(settings) -> None:
    require_xmlsec()
    settings.IDENTITY_PROVIDER = "saml"
    settings.IDENTITY_SAML_BASE_URL = ""
    settings.IDENTITY_SAML_ENTITY_ID = ""
    settings.IDENTITY_SAML_IDP_METADATA_FILE = ""
    settings.IDENTITY_SAML_IDP_METADATA_URL = ""
    settings.IDENTITY_SAML_IDP_ENTITY_ID = ""
    settings.IDENTITY_SAML_IDP_ORIGINS = []
    settings.IDENTITY_STANDIN_SAML_SIGNING_KEY = 0


@pytest.fixture
def saml_flow(saml, active_conversation, professional, resident, transport) -> SamlFlow:
    return SamlFlow(active_conversation, professional, resident, transport)
