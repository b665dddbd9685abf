"""Security headers, over real HTTP from a production-mode server (as the proxy
passes requests on: TLS ended, X-Forwarded-Proto set), and on downloads."""

import json
import urllib.error
import urllib.request

import pytest

from tests.chatservice.production import production_env
from tests.factories import ConversationFactory, ServiceFactory, UserFactory
from tests.production.servers import Servers, server_env

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

HOST = "chat.example.fi"


@pytest.fixture
def production_server(transactional_db, tmp_path):
    env = {
        **production_env(tmp_path),
        **server_env(tmp_path),
        "CHATSERVICE_ENV": "production",
        "DJANGO_ALLOWED_HOSTS": HOST,
        "TRUSTED_PROXY_COUNT": "1",
    }
    group = Servers(env=env, log_dir=tmp_path)
    yield group.start(healthz_host=HOST)
    group.stop_all()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def get(server, path: str, proto: str = "https"):
    request = urllib.request.Request(
        server.base + path,
        headers={"Host": HOST, "X-Forwarded-Proto": proto, "X-Forwarded-For": "198.51.100.7"},
    )
    opener = urllib.request.build_opener(NoRedirect)
    try:
        return opener.open(request, timeout=10)
    except urllib.error.HTTPError as exc:
        return exc


def assert_security_headers(response, *, frameable: bool = False) -> None:
    h = response.headers
    assert h["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Referrer-Policy"] == "same-origin"
    assert h["Cross-Origin-Opener-Policy"] == "same-origin"
    csp = h["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    if frameable:  # the chat panel's pages, framed by the county's site only
        assert "frame-ancestors 'self'" in csp
    else:
        assert "frame-ancestors 'none'" in csp
        assert h["X-Frame-Options"] == "DENY"
    assert h["X-Request-ID"]


def test_resident_and_staff_pages_carry_the_security_headers(production_server):
    service = ServiceFactory()
    for path, frameable in [
        ("/", False),
        ("/fi/", False),
        ("/widget/", True),
        ("/widget/services/", True),
        (f"/widget/services/{service.slug}/", True),
        ("/accounts/login/", False),
    ]:
        response = get(production_server, path)
        assert response.status == 200, path
        assert_security_headers(response, frameable=frameable)
    # Staff pages without a login: the redirect to the login carries them too.
    staff = get(production_server, "/staff/")
    assert staff.status == 302
    assert_security_headers(staff)
    # Session cookies only over HTTPS, never to scripts.
    page = get(production_server, f"/widget/services/{service.slug}/")
    cookies = page.headers.get_all("Set-Cookie") or []
    assert cookies and all("Secure" in c for c in cookies)


def test_plain_http_is_redirected_to_https(production_server):
    response = get(production_server, "/widget/", proto="http")
    assert response.status == 301
    assert response.headers["Location"] == f"https://{HOST}/widget/"


@pytest.mark.django_db
def test_the_resident_data_download_is_an_attachment_that_is_not_cached(client, settings):
    settings.SECURE_SSL_REDIRECT = False
    admin = UserFactory(is_superuser=True)
    conversation = ConversationFactory(service=ServiceFactory())
    client.force_login(admin, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(
        "/admin/conversations/conversation/",
        {"action": "export_resident_data", "_selected_action": [conversation.pk]},
    )
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Disposition"] == 'attachment; filename="resident-data.json"'
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert json.loads(response.content)["conversations"][0]["id"] == conversation.pk
