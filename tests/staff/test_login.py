"""Staff log in with e-mail, password and TOTP; without TOTP they see no resident data."""

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.contrib.sessions.models import Session
from django.utils import timezone

from tests.conftest import staff_cookie, totp_now
from tests.factories import TOTP_SECRET, ConversationFactory, UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "pw-for-tests-1"


def login(client, email, password=PASSWORD):
    return client.post("/accounts/login/", {"login": email, "password": password})


def test_login_asks_for_the_totp_code_and_then_opens_the_dashboard(client, professional):
    response = login(client, professional.email)
    assert response.status_code == 302 and "/accounts/2fa/authenticate/" in response["Location"]
    assert client.get("/staff/").status_code == 302  # not logged in before the code
    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_now(TOTP_SECRET)})
    assert response.status_code == 302
    assert client.get("/staff/").status_code == 200


def test_staff_without_mfa_must_set_it_up_before_seeing_resident_data(client, service):
    user = UserFactory(totp=False)
    service.professionals.add(user)
    conversation = ConversationFactory(service=service, resident_name="Hemlig Person")
    response = login(client, user.email)
    assert response.status_code == 302  # logged in with the password alone …
    for path in (
        "/staff/",
        "/admin/",
        f"/admin/conversations/conversation/{conversation.pk}/change/",
    ):
        response = client.get(path)
        assert (
            response.status_code == 302 and "/accounts/2fa/totp/activate/" in response["Location"]
        ), path
    assert b"Hemlig Person" not in client.get("/accounts/2fa/totp/activate/").content


@pytest.mark.django_db(transaction=True)
async def test_staff_socket_refuses_an_account_without_mfa(open_socket):
    user = await sync_to_async(UserFactory)(totp=False)
    cookie = await sync_to_async(staff_cookie)(user)
    sock = await open_socket("/ws/v1/staff/", cookie, expect_hello=False)
    assert not sock.connected


def test_failed_logins_are_rate_limited(client, professional):
    for _ in range(5):
        assert login(client, professional.email, "wrong-password").status_code == 200
    response = login(client, professional.email)  # the right password, too late
    assert response.status_code in (200, 429)
    assert "/accounts/2fa/authenticate/" not in response.get("Location", "")
    assert "_auth_user_id" not in client.session


def test_nobody_can_sign_up(client):
    response = client.post(
        "/accounts/signup/",
        {"email": "x@example.org", "password1": "Aa1!aaaaaaaa", "password2": "Aa1!aaaaaaaa"},
    )
    from staff.models import User

    assert not User.objects.filter(email="x@example.org").exists()
    assert response.status_code == 200


def test_admin_login_goes_through_the_staff_login(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_staff_sessions_expire_when_idle(client, professional, settings):
    settings.STAFF_IDLE_SECONDS = 600
    client.force_login(professional, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/staff/").status_code == 200
    assert client.session.get_expiry_age() == 600
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get("/staff/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db(transaction=True)
async def test_the_staff_socket_ends_with_the_session(professional, staff_socket, settings):
    """Checked on a server-side timer: a dashboard that only listens is ended too."""
    settings.STAFF_SESSION_CHECK_SECONDS = 0.05
    pro = await staff_socket(professional)
    await sync_to_async(Session.objects.all().delete)()
    assert (await pro.recv())["code"] == "session_expired"
    assert (await pro.comm.receive_output(1))["code"] == 4401


# --- The professional's pages in Finnish and English (issue 9) ------------------


@pytest.fixture
def logged_in(client, professional):
    client.force_login(professional, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.mark.parametrize(
    ("prefix", "lang", "heading"),
    [("", "sv", "Köer"), ("/fi", "fi", "Jonot"), ("/en", "en", "Queues")],
)
def test_the_dashboard_is_served_in_each_language(logged_in, prefix, lang, heading):
    response = logged_in.get(f"{prefix}/staff/")
    assert response.status_code == 200
    assert f'<html lang="{lang}">' in response.content.decode()
    assert f'<h1 id="queues-heading">{heading}</h1>' in response.content.decode()
    # The page gives its script the URLs of its own language, and they answer.
    config = response.context["config"]
    assert config["urls"]["keepalive"] == f"{prefix}/staff/keepalive/"
    assert logged_in.post(config["urls"]["keepalive"]).json()["status"] == "ok"
    assert config["socket_path"] == "/ws/v1/staff/"  # sockets are not translated


@pytest.mark.parametrize("prefix", ["", "/fi", "/en"])
def test_the_supervisor_view_and_its_data_in_each_language(logged_in, professional, prefix):
    professional.is_supervisor = True
    professional.save()
    page = logged_in.get(f"{prefix}/staff/supervisor/")
    assert page.status_code == 200
    data_url = f"{prefix}/staff/supervisor/figures/"
    assert f'data-url="{data_url}"' in page.content.decode()
    assert "today" in logged_in.get(data_url).json()


@pytest.mark.parametrize(
    ("accept", "path", "expected"),
    [
        ("fi-FI,fi;q=0.9,en;q=0.5", "/staff/", "/fi/staff/"),
        ("en-GB,en;q=0.9", "/staff/supervisor/?x=1", "/en/staff/supervisor/?x=1"),
        ("en", "/accounts/login/?next=/staff/", "/en/accounts/login/?next=/staff/"),
        ("sv-FI,sv;q=0.9", "/staff/", None),
        ("de", "/staff/", None),  # not served: the default
        ("fi", "/", None),  # the resident's page: its language comes from the county's site
    ],
)
def test_unprefixed_staff_pages_follow_the_browsers_language(client, accept, path, expected):
    response = client.get(path, HTTP_ACCEPT_LANGUAGE=accept)
    if expected is None:
        assert response.status_code != 302 or not response["Location"].startswith(("/fi/", "/en/"))
    else:
        assert response.status_code == 302 and response["Location"] == expected
        assert "Accept-Language" in response["Vary"] and "Cookie" in response["Vary"]


def test_the_language_chosen_on_the_page_wins_over_the_browsers(client, settings):
    client.post("/i18n/setlang/", {"language": "sv", "next": "/fi/accounts/login/"})
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "sv"
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="fi")
    assert response.status_code == 200 and '<html lang="sv">' in response.content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert client.get("/accounts/login/")["Location"] == "/en/accounts/login/"


def test_login_in_finnish_stays_finnish_to_the_dashboard(client, professional):
    page = client.get("/fi/accounts/login/")
    assert '<html lang="fi">' in page.content.decode()
    assert 'action="/fi/accounts/login/"' in page.content.decode()
    assert 'action="/i18n/setlang/"' in page.content.decode()  # the language switch
    response = client.post(
        "/fi/accounts/login/", {"login": professional.email, "password": PASSWORD}
    )
    assert response["Location"].startswith("/fi/accounts/2fa/authenticate/")
    mfa_page = client.get(response["Location"])
    assert '<html lang="fi">' in mfa_page.content.decode()
    response = client.post(response["Location"], {"code": totp_now(TOTP_SECRET)})
    assert response.status_code == 302 and response["Location"] == "/fi/staff/"


@pytest.mark.parametrize("prefix", ["/fi", "/en"])
def test_the_mfa_guard_holds_under_a_language_prefix(client, service, prefix):
    user = UserFactory(totp=False)
    service.professionals.add(user)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    for path in (f"{prefix}/staff/", f"{prefix}/staff/supervisor/figures/"):
        response = client.get(path)
        assert response.status_code == 302 and "/2fa/totp/activate/" in response["Location"], path


@pytest.mark.parametrize(
    ("prefix", "expected"), [("", "/accounts/login/"), ("/fi", "/fi/accounts/login/")]
)
def test_logout_leads_to_the_staff_login(logged_in, prefix, expected):
    response = logged_in.post(f"{prefix}/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == expected
    assert "_auth_user_id" not in logged_in.session


# --- Who may enter the admin ----------------------------------------------------


def test_a_professional_without_admin_rights_cannot_open_the_admin(logged_in):
    for path in ("/admin/", "/admin/conversations/conversation/", "/admin/login/?next=/admin/"):
        response = logged_in.get(path, follow=True)
        assert response.status_code == 403, path


def test_superusers_and_users_given_admin_rights_can_open_the_admin(client, service):
    from django.contrib.auth.models import Permission

    superuser = UserFactory(is_superuser=True)
    client.force_login(superuser, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/admin/").status_code == 200
    editor = UserFactory()
    editor.user_permissions.add(Permission.objects.get(codename="change_cannedreply"))
    client.force_login(editor, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/staff/cannedreply/").status_code == 200
    assert client.get("/admin/staff/user/").status_code == 403  # only what they were given


def test_the_admin_of_an_inactive_or_non_staff_account_is_closed(client):
    client.force_login(
        UserFactory(is_staff=False), backend="django.contrib.auth.backends.ModelBackend"
    )
    assert client.get("/admin/", follow=True).status_code == 403
    client.force_login(
        UserFactory(is_superuser=True, is_active=False),
        backend="django.contrib.auth.backends.ModelBackend",
    )
    response = client.get("/admin/", follow=True)  # no longer logged in: the login page
    assert response.redirect_chain[-1][0].startswith("/accounts/login/")


# --- TOTP codes used twice --------------------------------------------------------


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_a_code_used_twice_is_told_apart_from_a_wrong_one(client, professional, prefix):
    code = totp_now(TOTP_SECRET)
    login(client, professional.email)
    assert client.post("/accounts/2fa/authenticate/", {"code": code}).status_code == 302
    client.post("/accounts/logout/")

    client.post(f"{prefix}/accounts/login/", {"login": professional.email, "password": PASSWORD})
    again = client.post(f"{prefix}/accounts/2fa/authenticate/", {"code": code})
    assert again.status_code == 200 and "_auth_user_id" not in client.session
    text = again.content.decode()
    if prefix == "/en":
        assert "already been used" in text and "next code" in text
    else:
        assert "redan använts" in text
    wrong = client.post(f"{prefix}/accounts/2fa/authenticate/", {"code": "000000"})
    assert "already been used" not in wrong.content.decode()
    assert "redan använts" not in wrong.content.decode()


def test_a_used_code_stays_used_for_as_long_as_it_is_accepted(client, professional, settings):
    """With MFA_TOTP_TOLERANCE = 1 a code is accepted for three 30 s steps; allauth
    remembers a used code for one step only, so it could be replayed later."""
    import time

    from allauth.mfa.totp.internal import auth as totp

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    step = int(time.time()) // 30
    code = totp.format_hotp_value(totp.hotp_value(TOTP_SECRET, step))
    clock = {"now": step * 30 + 1.0}
    # One clock for the code's validity and for the cache's expiry.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(time, "time", lambda: clock["now"])
        login(client, professional.email)
        assert client.post("/accounts/2fa/authenticate/", {"code": code}).status_code == 302
        client.post("/accounts/logout/")
        clock["now"] += 45  # the next step: the code is still accepted (tolerance)
        login(client, professional.email)
        replay = client.post("/accounts/2fa/authenticate/", {"code": code})
        assert replay.status_code == 200 and "_auth_user_id" not in client.session
        assert "redan använts" in replay.content.decode()
