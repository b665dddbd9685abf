"""A resident's session ends with the browser; pages with personal data are never
stored by the browser or a proxy."""

import pytest
from django.conf import settings as project_settings
from django.urls import URLPattern, reverse

from customers import urls as customer_urls
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
VALID = {"name": "Testi Asukas", "phone": "040 123 4567", "matter": "Fråga om vaccin"}


def test_the_residents_session_cookie_ends_with_the_browser(client, service):
    response = client.post(f"/widget/services/{service.slug}/", VALID)
    assert response.status_code == 302
    cookie = response.cookies[project_settings.SESSION_COOKIE_NAME]
    assert cookie.value
    assert cookie["max-age"] == "" and cookie["expires"] == ""  # a browser-session cookie
    assert client.session.get_expire_at_browser_close()


def test_staff_keep_their_own_session_policy(client):
    user = UserFactory()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get("/staff/")
    cookie = response.cookies[project_settings.SESSION_COOKIE_NAME]
    assert int(cookie["max-age"]) == project_settings.STAFF_IDLE_SECONDS
    assert cookie["expires"]
    assert not client.session.get_expire_at_browser_close()


PUBLIC = {"front", "privacy"}  # the same for everyone, nothing from the session
SESSION_PAGES = [
    p for p in customer_urls.urlpatterns if isinstance(p, URLPattern) and p.name not in PUBLIC
]


@pytest.mark.parametrize("pattern", SESSION_PAGES, ids=lambda p: p.name)
def test_resident_pages_that_depend_on_the_session_are_never_stored(client, service, pattern):
    """The whole class: every resident page but the public ones (a new one is
    included by itself), with an open conversation so that the chat shows it."""
    client.post(f"/widget/services/{service.slug}/", VALID)
    kwargs = {"slug": service.slug} if "slug" in pattern.pattern.converters else {}
    response = client.get(reverse(f"customers:{pattern.name}", kwargs=kwargs))
    cache_control = response.get("Cache-Control", "")
    assert "no-store" in cache_control and "private" in cache_control, pattern.name


def test_the_chat_page_itself_is_not_stored(client, service):
    client.post(f"/widget/services/{service.slug}/", VALID)
    response = client.get("/widget/chat/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_an_intake_form_sent_back_with_errors_is_not_stored(client, service):
    response = client.post(f"/widget/services/{service.slug}/", {**VALID, "phone": "123"})
    assert VALID["matter"] in response.content.decode()
    assert "no-store" in response["Cache-Control"]
