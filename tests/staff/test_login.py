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
async def test_the_staff_socket_ends_with_the_session(professional, staff_socket, monkeypatch):
    monkeypatch.setattr("staff.consumers.SESSION_CHECK_SECONDS", -1)
    pro = await staff_socket(professional)
    await sync_to_async(Session.objects.all().delete)()
    await pro.send({"type": "ping"})
    assert (await pro.recv())["code"] == "session_expired"
    assert (await pro.comm.receive_output(1))["code"] == 4401
