"""Fixtures of the identification tests: the stand-in provider reached through the
Django test client, a resident's browser that owns an active conversation, and
a `flow` that walks the handoff through HTTP the way a browser does."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from joserfc import jwe, jwt
from joserfc.jwk import Key

from conversations.models import ConversationStatus
from conversations.selectors import SESSION_KEY
from identity import actions
from identity.keys import client_keys
from identity.models import IdentificationRequest
from identity.standin import server
from tests.factories import ConversationFactory
from tests.identity import transport as transport_module

TRANSACTION = re.compile(r'name="transaction" value="([^"]+)"')


@pytest.fixture(scope="session")
def dev_key_file(tmp_path_factory) -> str:
    # One set of generated keys for the whole run, outside the repository's var/.
    return str(tmp_path_factory.mktemp("identity-keys") / "dev-keys.json")


@pytest.fixture(autouse=True)
def transport(settings, dev_key_file) -> transport_module.TestClientTransport:
    settings.IDENTITY_DEV_KEY_FILE = dev_key_file
    settings.IDENTITY_STANDIN_ENABLED = True
    settings.IDENTITY_OIDC_ISSUER = ""
    settings.IDENTITY_OIDC_REDIRECT_URI = ""
    settings.IDENTITY_OIDC_CLIENT_ID = "chatservice-dev"
    settings.IDENTITY_ALLOW_TEST_LEVEL = False
    settings.IDENTITY_HTTP_CLIENT = "tests.identity.transport.factory"
    transport_module.current = transport_module.TestClientTransport()
    return transport_module.current


@pytest.fixture
def active_conversation(service, professional):
    return ConversationFactory(
        service=service,
        status=ConversationStatus.ACTIVE,
        assigned_to=professional,
        claimed_at=timezone.now(),
    )


def browser_for(conversation) -> Client:
    """A browser whose session owns `conversation`, as after the intake."""
    session = SessionStore()
    session[SESSION_KEY] = conversation.pk
    session.create()
    assert session.session_key
    client = Client()
    client.cookies[django_settings.SESSION_COOKIE_NAME] = session.session_key
    return client


@pytest.fixture
def resident(active_conversation) -> Client:
    return browser_for(active_conversation)


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass
class Flow:
    """The handoff step by step, as the browser sees it."""

    conversation: Any
    professional: Any
    browser: Client
    transport: transport_module.TestClientTransport
    request: IdentificationRequest | None = None
    authorize_url: str = ""
    callback_url: str = ""
    tokens: list[str] = field(default_factory=list)

    def ask(self) -> IdentificationRequest:
        self.request = actions.request_identification(
            conversation_id=self.conversation.pk, professional=self.professional
        )
        return self.request

    @property
    def link(self) -> str:
        assert self.request is not None
        return reverse("identity:start", args=[self.request.token])

    def open_link(self, browser: Client | None = None):
        response = (browser or self.browser).get(self.link)
        if response.status_code == 302:
            self.authorize_url = response["Location"]
        return response

    def choose(self, *, person: str = "tessa", method: str = "testbank", action: str = "identify"):
        page = self.browser.get(path_of(self.authorize_url))
        assert page.status_code == 200, page.content
        transaction = TRANSACTION.search(page.content.decode())
        assert transaction
        response = self.browser.post(
            urlsplit(self.authorize_url).path,
            {"transaction": transaction[1], "person": person, "method": method, "action": action},
        )
        assert response.status_code == 302, response.content
        self.callback_url = response["Location"]
        return response

    def come_back(self, browser: Client | None = None, url: str | None = None):
        return (browser or self.browser).get(path_of(url or self.callback_url))

    def identify(self, *, person: str = "tessa", method: str = "testbank"):
        self.ask()
        assert self.open_link().status_code == 302
        self.choose(person=person, method=method)
        return self.come_back()

    def tamper(self, change: Callable[[dict[str, Any], dict[str, Any]], Key | None]) -> None:
        """Let the stand-in issue its token, then hand the relying party the test's
        own: `change(header, claims)` edits the signed token's header and claims
        and may return another key to sign with."""

        def on_token(status: int, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
            assert status == 200, body
            header, claims = open_id_token(body["id_token"])
            key = change(header, claims)
            if key is None and header["alg"] != "none":
                key = server.signing_key(header["alg"])
            body["id_token"] = seal(header, claims, key)
            self.tokens.append(body["id_token"])
            return status, body

        self.transport.on_token = on_token


def open_id_token(id_token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Decrypt with our key and read the signed token (header, claims)."""
    signed = jwe.decrypt_compact(
        id_token, client_keys().decryption[0], algorithms=["RSA-OAEP-256", "A256GCM"]
    ).plaintext
    assert signed is not None
    parts = signed.decode().split(".")
    header = json.loads(server.b64url_decode(parts[0]))
    claims = json.loads(server.b64url_decode(parts[1]))
    return header, claims


def seal(header: dict[str, Any], claims: dict[str, Any], key: Key | None) -> str:
    """Sign (unless alg is none) and encrypt to our published encryption key."""
    if header.get("alg") == "none":
        signed = ".".join(
            [
                server.b64url(json.dumps(header).encode()),
                server.b64url(json.dumps(claims).encode()),
                "",
            ]
        )
    else:
        signed = jwt.encode(header, claims, key, algorithms=[header["alg"]])
    return server.encrypt_to_client(signed, client_keys().public_jwks)


@pytest.fixture
def flow(active_conversation, professional, resident, transport) -> Flow:
    return Flow(active_conversation, professional, resident, transport)


# The SAML flow's fixtures (tests/identity/saml_support.py).
from tests.identity.saml_support import saml, saml_flow  # noqa: E402, F401
