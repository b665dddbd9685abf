"""Every HTTP endpoint × every actor: anonymous visitor, resident A, resident B,
a professional of service X (A's), a professional of service Y, a supervisor,
an administrator, and a professional without a second factor. One table; an
endpoint without a row fails the test, so a new endpoint must be thought about.

The answers are what each actor should get: `ok` (2xx), `login` (sent to log
in), `mfa` (sent to set up the second factor), `to:<path>` (sent there), or a
status code. Django admin and allauth's own pages are covered as groups."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from conversations import actions
from conversations.models import ConversationStatus
from conversations.selectors import SESSION_KEY
from identity.actions import request_identification
from surveys.tokens import make_survey_token
from tests.factories import ConversationFactory, ServiceFactory, UserFactory

pytestmark = pytest.mark.django_db

ACTORS = (
    "anonymous",
    "resident_a",
    "resident_b",
    "pro_x",
    "pro_y",
    "supervisor",
    "admin",
    "no_mfa",
)


# name → (method, path, data, the answer of each actor in ACTORS order)
def table(w) -> dict[str, tuple[str, str, dict | None, tuple]]:
    closed_token = make_survey_token(w["closed"].pk)
    link = reverse("identity:start", args=[w["identification"].token])
    return {
        "healthz": ("get", "/healthz", None, ("ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok")),
        "readyz": ("get", "/readyz", None, ("ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok")),
        "metrics": ("get", "/metrics", None, (403, 403, 403, 403, 403, 403, 403, "mfa")),
        "identity:callback": (
            "get",
            "/identify/callback/",
            None,
            (400, 400, 400, 400, 400, 400, 400, "mfa"),
        ),
        "identity:jwks": (
            "get",
            "/identify/jwks/",
            None,
            ("ok", "ok", "ok", "ok", "ok", "ok", "ok", "mfa"),
        ),
        "identity:saml-metadata": (
            "get",
            "/identify/saml/metadata/",
            None,
            (404, 404, 404, 404, 404, 404, 404, "mfa"),
        ),
        "identity:saml-acs": (
            "post",
            "/identify/saml/acs/",
            None,
            (404, 404, 404, 404, 404, 404, 404, "mfa"),
        ),
        "identity:saml-acs-continue": (
            "get",
            "/identify/saml/acs/unknown/",
            None,
            (400, 400, 400, 400, 400, 400, 400, "mfa"),
        ),
        "identity:saml-slo": (
            "get",
            "/identify/saml/slo/",
            None,
            (400, 400, 400, 400, 400, 400, 400, "mfa"),
        ),
        "identity:saml-logout": (
            "post",
            "/identify/saml/logout/",
            None,
            (
                "to:/identify/saml/logged-out/",
                "to:/identify/saml/logged-out/",
                "to:/identify/saml/logged-out/",
                "to:/identify/saml/logged-out/",
                "to:/identify/saml/logged-out/",
                "to:/identify/saml/logged-out/",
                "to:/identify/saml/logged-out/",
                "mfa",
            ),
        ),
        "identity:saml-logged-out": (
            "get",
            "/identify/saml/logged-out/",
            None,
            ("ok", "ok", "ok", "ok", "ok", "ok", "ok", "mfa"),
        ),
        "identity:standin-discovery": (
            "get",
            "/identify/standin/.well-known/openid-configuration",
            None,
            ("ok", "ok", "ok", "ok", "ok", "ok", "ok", "mfa"),
        ),
        "identity:standin-jwks": (
            "get",
            "/identify/standin/jwks",
            None,
            ("ok", "ok", "ok", "ok", "ok", "ok", "ok", "mfa"),
        ),
        "identity:standin-authorize": (
            "get",
            "/identify/standin/authorize",
            None,
            (400, 400, 400, 400, 400, 400, 400, "mfa"),
        ),
        "identity:standin-token": (
            "post",
            "/identify/standin/token",
            None,
            (400, 400, 400, 400, 400, 400, 400, "mfa"),
        ),
        "identity:standin-saml-metadata": (
            "get",
            "/identify/standin/saml/metadata",
            None,
            ("ok", "ok", "ok", "ok", "ok", "ok", "ok", "mfa"),
        ),
        "identity:standin-saml-sso": (
            "get",
            "/identify/standin/saml/sso",
            None,
            (400, 400, 400, 400, 400, 400, 400, "mfa"),
        ),
        "identity:standin-saml-slo": (
            "get",
            "/identify/standin/saml/slo",
            None,
            ("ok", "ok", "ok", "ok", "ok", "ok", "ok", "mfa"),
        ),
        "identity:start": (
            "get",
            link,
            None,
            (403, "to:/identify/standin/authorize", 403, 403, 403, 403, 403, "mfa"),
        ),
        "video:check": ("post", "/video/check/", None, (403, 400, 400, 400, 400, 400, 400, "mfa")),
        "attachments:resident_upload": (
            "post",
            "/attachments/upload/",
            None,
            (404, 403, 409, 404, 404, 404, 404, "mfa"),
        ),
        "attachments:staff_upload": (
            "post",
            f"/attachments/staff/{w['a'].pk}/upload/",
            None,
            (404, 404, 404, 403, 403, 403, 403, "mfa"),
        ),
        "attachments:download": (
            "get",
            "/attachments/00000000-0000-0000-0000-000000000000/",
            None,
            (404, 404, 404, 404, 404, 404, 404, "mfa"),
        ),
        "staff:dashboard": (
            "get",
            "/staff/",
            None,
            ("login", "login", "login", "ok", "ok", "ok", "ok", "mfa"),
        ),
        "staff:supervisor": (
            "get",
            "/staff/supervisor/",
            None,
            ("login", "login", "login", 403, 403, "ok", 403, "mfa"),
        ),
        "staff:supervisor_data": (
            "get",
            "/staff/supervisor/figures/",
            None,
            ("login", "login", "login", 403, 403, "ok", 403, "mfa"),
        ),
        "staff:supervisor_report": (
            "get",
            "/staff/supervisor/reports/",
            None,
            ("login", "login", "login", 403, 403, "ok", "ok", "mfa"),
        ),
        "staff:supervisor_report_csv": (
            "get",
            "/staff/supervisor/reports.csv",
            None,
            ("login", "login", "login", 403, 403, "ok", "ok", "mfa"),
        ),
        "staff:keepalive": (
            "post",
            "/staff/keepalive/",
            None,
            ("login", "login", "login", "ok", "ok", "ok", "ok", "mfa"),
        ),
        "closing:after_chat": (
            "get",
            "/widget/after-chat/",
            None,
            (404, 404, 404, 404, 404, 404, 404, "mfa"),
        ),
        "closing:transcript": (
            "post",
            "/widget/after-chat/transcript/",
            None,
            (404, 404, 404, 404, 404, 404, 404, "mfa"),
        ),
        "surveys:survey": (
            "get",
            f"/survey/{closed_token}/",
            None,
            (404, 404, 404, 404, 404, 404, 404, "mfa"),
        ),
        "customers:front": ("get", "/", None, ("ok", "ok", "ok", "ok", "ok", "ok", "ok", "mfa")),
        "customers:privacy": (
            "get",
            "/privacy/",
            None,
            ("ok", "ok", "ok", "ok", "ok", "ok", "ok", "mfa"),
        ),
        "customers:widget": (
            "get",
            "/widget/",
            None,
            ("ok", "ok", "ok", "ok", "ok", "ok", "ok", "mfa"),
        ),
        "customers:services": (
            "get",
            "/widget/services/",
            None,
            ("ok", "to:/widget/chat/", "to:/widget/chat/", "ok", "ok", "ok", "ok", "mfa"),
        ),
        "customers:intake": (
            "get",
            f"/widget/services/{w['a'].service.slug}/",
            None,
            ("ok", "to:/widget/chat/", "to:/widget/chat/", "ok", "ok", "ok", "ok", "mfa"),
        ),
        "customers:chat": (
            "get",
            "/widget/chat/",
            None,
            (
                "to:/widget/",
                "ok",
                "ok",
                "to:/widget/",
                "to:/widget/",
                "to:/widget/",
                "to:/widget/",
                "mfa",
            ),
        ),
        "customers:end": (
            "get",
            "/widget/end/",
            None,
            ("ok", "ok", "ok", "ok", "ok", "ok", "ok", "mfa"),
        ),
        "customers:ended": (
            "get",
            "/widget/ended/",
            None,
            ("ok", "ok", "ok", "ok", "ok", "ok", "ok", "mfa"),
        ),
        "admin:index": (
            "get",
            "/admin/",
            None,
            (
                "to:/admin/login/",
                "to:/admin/login/",
                "to:/admin/login/",
                "to:/admin/login/",
                "to:/admin/login/",
                "to:/admin/login/",
                "ok",
                "mfa",
            ),
        ),
        "admin:conversations_conversation_changelist": (
            "get",
            "/admin/conversations/conversation/",
            None,
            (
                "to:/admin/login/",
                "to:/admin/login/",
                "to:/admin/login/",
                "to:/admin/login/",
                "to:/admin/login/",
                "to:/admin/login/",
                "ok",
                "mfa",
            ),
        ),
        "account_login": (
            "get",
            "/accounts/login/",
            None,
            (
                "ok",
                "ok",
                "ok",
                "to:/staff/",
                "to:/staff/",
                "to:/staff/",
                "to:/staff/",
                "to:/staff/",
            ),
        ),
        "mfa_index": (
            "get",
            "/accounts/2fa/",
            None,
            ("login", "login", "login", "ok", "ok", "ok", "ok", "ok"),
        ),
        # Last: it sets the language cookie.
        "set_language": (
            "post",
            "/i18n/setlang/",
            {"language": "fi", "next": "/"},
            (
                "to:/fi/",
                "to:/fi/",
                "to:/fi/",
                "to:/fi/",
                "to:/fi/",
                "to:/fi/",
                "to:/fi/",
                "to:/fi/",
            ),
        ),
    }


def answer_of(response) -> object:
    if response.status_code in (301, 302, 303):
        where = urlsplit(response["Location"]).path
        if where.startswith("/accounts/login"):
            return "login"
        if where.startswith("/accounts/2fa/totp/activate"):
            return "mfa"
        return f"to:{where}"
    if 200 <= response.status_code < 300:
        return "ok"
    return response.status_code


@pytest.fixture
def world(settings):
    settings.METRICS_ALLOWED_NETWORKS = []
    settings.METRICS_TOKEN = ""
    x, y = ServiceFactory(), ServiceFactory()
    pro_x, pro_y = UserFactory(), UserFactory()
    supervisor = UserFactory(is_supervisor=True)
    admin = UserFactory(is_superuser=True)
    no_mfa = UserFactory(totp=False)
    x.professionals.add(pro_x, supervisor, no_mfa)
    y.professionals.add(pro_y)
    a = ConversationFactory(service=x)
    actions.claim_conversation(conversation_id=a.pk, professional=pro_x)
    b = ConversationFactory(service=x)
    closed = ConversationFactory(
        service=x, status=ConversationStatus.CLOSED, closed_at=timezone.now()
    )
    clients = {"anonymous": Client()}
    for actor, conversation in (("resident_a", a), ("resident_b", b)):
        session = SessionStore()
        session[SESSION_KEY] = conversation.pk
        session.create()
        client = Client()
        client.cookies["sessionid"] = str(session.session_key)
        clients[actor] = client
    for actor, user in (
        ("pro_x", pro_x),
        ("pro_y", pro_y),
        ("supervisor", supervisor),
        ("admin", admin),
        ("no_mfa", no_mfa),
    ):
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        clients[actor] = client
    identification = request_identification(conversation_id=a.pk, professional=pro_x)
    return {"clients": clients, "a": a, "b": b, "closed": closed, "identification": identification}


def test_every_endpoint_for_every_actor(world):
    observed = {}
    for name, (method, path, data, _answers) in table(world).items():
        row = {}
        for actor in ACTORS:
            client = world["clients"][actor]
            response = getattr(client, method)(path, data or {})
            row[actor] = answer_of(response)
        observed[name] = row
    expected = {name: dict(zip(ACTORS, row[3], strict=True)) for name, row in table(world).items()}
    assert observed == expected


def endpoint_names(patterns=None, namespace=None) -> set[str]:
    names: set[str] = set()
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            names |= endpoint_names(pattern.url_patterns, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)
    return names


# Covered by the rows of one representative each: Django's admin (administrators
# only) and allauth's account and second-factor pages (public by nature).
GROUPS = ("admin:", "account_", "mfa_")


def test_every_endpoint_has_a_row(world):
    rows = set(table(world))
    missing = {n for n in endpoint_names() if not n.startswith(GROUPS)} - rows
    assert not missing, f"endpoints without a row in the access table: {sorted(missing)}"
