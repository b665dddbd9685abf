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

from attachments.actions import upload_attachment
from closing.models import TranscriptRequest
from closing.tokens import make_transcript_token
from conversations import actions
from conversations.actions import close_by_professional
from conversations.models import ActorKind, Conversation, ConversationStatus
from conversations.selectors import SESSION_KEY
from identity.actions import request_identification
from surveys.tokens import make_survey_token
from tests.attachments.conftest import PDF, identify
from tests.closing.conftest import served_conversation
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
    sent = f"to:/widget/services/{w['closed_service'].slug}/contact/sent/"
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
        # A is identified, so the gate lets A's resident and A's professional
        # through: an empty body is then refused as no file (400, nothing stored).
        # B's conversation waits (409). A professional who may not see A's
        # conversation gets what a missing one gets (404): ids cannot be probed.
        "attachments:resident_upload": (
            "post",
            "/attachments/upload/",
            None,
            (404, 400, 409, 404, 404, 404, 404, "mfa"),
        ),
        "attachments:staff_upload": (
            "post",
            f"/attachments/staff/{w['a'].pk}/upload/",
            None,
            (404, 404, 404, 400, 404, 403, 404, "mfa"),
        ),
        # A clean file resident A sent: A and the professionals of A's service
        # (X: pro_x, the supervisor); never B, service Y or an administrator
        # who is no professional of X.
        "attachments:download": (
            "get",
            f"/attachments/{w['attachment'].public_id}/",
            None,
            (404, "ok", 404, "ok", 404, "ok", 404, "mfa"),
        ),
        "attachments:download#unknown": (
            "get",
            "/attachments/00000000-0000-0000-0000-000000000000/",
            None,
            (404, 404, 404, 404, 404, 404, 404, "mfa"),
        ),
        "attachments:download#not-a-uuid": (
            "get",
            "/attachments/not-a-uuid/",
            None,
            (404, 404, 404, 404, 404, 404, 404, "mfa"),
        ),
        "staff:dashboard": (
            "get",
            "/staff/",
            None,
            ("login", "login", "login", "ok", "ok", "ok", "ok", "mfa"),
        ),
        "staff:profile": (
            "get",
            "/staff/profile/",
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
        # A conversation nobody served has no survey.
        "surveys:survey": (
            "get",
            f"/survey/{closed_token}/",
            None,
            (404, 404, 404, 404, 404, 404, 404, "mfa"),
        ),
        # A served one: the link is the capability (one answer, expiring, not
        # linked to the person), so whoever holds it may open it.
        "surveys:survey#served": (
            "get",
            f"/survey/{make_survey_token(w['served'].pk)}/",
            None,
            ("ok", "ok", "ok", "ok", "ok", "ok", "ok", "mfa"),
        ),
        "surveys:survey#forged": (
            "get",
            f"/survey/{make_survey_token(w['served'].pk)[:-2]}xx/",
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
        # Call-backs (callbacks/): "call me back instead" for the session's own
        # waiting conversation; the contact request on a closed service's page.
        "callbacks:request": (
            "post",
            "/widget/callback/",
            None,
            (404, "to:/widget/chat/", "to:/widget/chat/", 404, 404, 404, 404, "mfa"),
        ),
        "callbacks:contact": (
            "post",
            f"/widget/services/{w['closed_service'].slug}/contact/",
            {
                "contact-name": "Testi Asukas",
                "contact-phone": "040 123 4567",
                "contact-matter": "Call me",
            },
            # A public form; a browser with an open chat is sent back to it.
            (sent, "to:/widget/chat/", "to:/widget/chat/", sent, sent, sent, sent, "mfa"),
        ),
        "callbacks:contact_sent": (
            "get",
            f"/widget/services/{w['closed_service'].slug}/contact/sent/",
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
        # The data-protection actions (privacy/admin.py): administrators only.
        "admin:privacy-export": (
            "post",
            "/admin/conversations/conversation/",
            {"action": "export_resident_data", "_selected_action": [w["served"].pk]},
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
        "admin:privacy-erase-confirm": (
            "post",
            "/admin/conversations/conversation/",
            {"action": "erase_resident_data", "_selected_action": [w["served"].pk]},
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
        "admin:audit-log": (
            "get",
            "/admin/conversations/auditentry/",
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


# After A's conversation ended: the end screen, the transcript form with A's
# real one-time token, the survey link A's end screen gives, A's file.
def after_close_table(w) -> dict[str, tuple[str, str, dict | None, tuple]]:
    a = w["a"]
    return {
        "closing:after_chat": (
            "get",
            "/widget/after-chat/",
            None,
            (404, "ok", 404, 404, 404, 404, 404, "mfa"),
        ),
        "closing:transcript": (
            "post",
            "/widget/after-chat/transcript/",
            {"token": make_transcript_token(a.pk), "email": "resident@example.net"},
            (404, "ok", 404, 404, 404, 404, 404, "mfa"),
        ),
        # B's session posting A's token: B's conversation has not ended (404);
        # a token is bound to its conversation (closing/tokens.py).
        "closing:transcript#foreign-token": (
            "post",
            "/widget/after-chat/transcript/",
            {"token": make_transcript_token(w["served"].pk), "email": "resident@example.net"},
            (404, 400, 404, 404, 404, 404, 404, "mfa"),
        ),
        "surveys:survey": (
            "get",
            f"/survey/{make_survey_token(a.pk)}/",
            None,
            ("ok", "ok", "ok", "ok", "ok", "ok", "ok", "mfa"),
        ),
        # The file stays the resident's and the service's after the end.
        "attachments:download": (
            "get",
            f"/attachments/{w['attachment'].public_id}/",
            None,
            (404, "ok", 404, "ok", 404, "ok", 404, "mfa"),
        ),
        # Nothing more can be sent into an ended conversation.
        "attachments:resident_upload": (
            "post",
            "/attachments/upload/",
            None,
            (404, 409, 409, 404, 404, 404, 404, "mfa"),
        ),
        "attachments:staff_upload": (
            "post",
            f"/attachments/staff/{a.pk}/upload/",
            None,
            (404, 404, 404, 409, 404, 409, 404, "mfa"),
        ),
    }


@pytest.fixture
def world(settings, tmp_path):
    settings.METRICS_ALLOWED_NETWORKS = []
    settings.METRICS_TOKEN = ""
    settings.ATTACHMENT_ROOT = tmp_path / "attachments"
    settings.ATTACHMENT_SCANNER = "tests.attachments.conftest.ScannerDouble"
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
    identify(a)
    attachment = upload_attachment(
        conversation_id=a.pk,
        uploader_kind=ActorKind.RESIDENT,
        data=PDF,
        name="lab.pdf",
        declared_type="application/pdf",
    )
    served = served_conversation(service=x, professional=pro_x)
    closed_service = ServiceFactory(always_open=False, contact_requests=True)
    return {
        "closed_service": closed_service,
        "clients": clients,
        "a": a,
        "b": b,
        "closed": closed,
        "served": served,
        "identification": identification,
        "attachment": attachment,
        "pro_x": pro_x,
    }


def walk(rows) -> tuple[dict, dict]:
    """(observed, expected) answers of every actor for every row."""
    observed = {}
    for name, (method, path, data, _answers) in rows.items():
        row = {}
        for actor in ACTORS:
            client = WORLD_CLIENTS[actor]
            response = getattr(client, method)(path, data or {})
            row[actor] = answer_of(response)
        observed[name] = row
    expected = {name: dict(zip(ACTORS, row[3], strict=True)) for name, row in rows.items()}
    return observed, expected


WORLD_CLIENTS: dict[str, Client] = {}


def differences(observed: dict, expected: dict) -> dict:
    """Row → {actor: (observed, expected)} where they differ."""
    return {
        name: {
            a: (observed[name][a], expected[name][a])
            for a in ACTORS
            if observed[name][a] != expected[name][a]
        }
        for name in expected
        if observed[name] != expected[name]
    }


@pytest.fixture
def clients(world):
    WORLD_CLIENTS.clear()
    WORLD_CLIENTS.update(world["clients"])
    yield WORLD_CLIENTS
    WORLD_CLIENTS.clear()


def test_every_endpoint_for_every_actor(world, clients):
    observed, expected = walk(table(world))
    assert observed == expected, differences(observed, expected)
    # The erase action asked for its confirmation and erased nothing.
    assert Conversation.objects.filter(pk=world["served"].pk, resident_name="Testi Asukas").exists()


def test_after_the_conversation_for_every_actor(world, clients):
    close_by_professional(
        conversation_id=world["a"].pk, professional=world["pro_x"], reason="guidance-given"
    )
    observed, expected = walk(after_close_table(world))
    assert observed == expected, differences(observed, expected)
    # Only A's own request was queued, once.
    assert list(TranscriptRequest.objects.values_list("conversation_id", flat=True)) == [
        world["a"].pk
    ]


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
    # "name#variant": more rows for one endpoint (a real file, a forged token).
    rows = {name.split("#")[0] for name in (*table(world), *after_close_table(world))}
    missing = {n for n in endpoint_names() if not n.startswith(GROUPS)} - rows
    assert not missing, f"endpoints without a row in the access table: {sorted(missing)}"
