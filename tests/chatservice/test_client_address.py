"""The client's address behind proxies: the right-most X-Forwarded-For entry that
a trusted proxy wrote, never one the client sent (it would choose its own
address and slip past the per-address intake limit)."""

import pytest
from django.core.cache import cache
from django.test import RequestFactory

from conversations.clientaddr import client_address, client_address_from_scope, resolve
from conversations.models import Conversation
from tests.factories import ServiceFactory

PROXY = "10.0.0.5"  # the TCP peer when the proxy is in front


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "proxies", "expected"),
    [
        ("203.0.113.9", "198.51.100.1", 0, "203.0.113.9"),  # no proxy: the header is the client's
        (PROXY, "203.0.113.9", 1, "203.0.113.9"),
        (PROXY, "198.51.100.1, 203.0.113.9", 1, "203.0.113.9"),  # spoofed entry on the left
        (PROXY, "1.1.1.1,2.2.2.2, 203.0.113.9", 1, "203.0.113.9"),
        (PROXY, "198.51.100.1, 203.0.113.9, 10.0.0.4", 2, "203.0.113.9"),  # two proxies
        (PROXY, "203.0.113.9", 2, PROXY),  # came past one proxy only: trust none of it
        (PROXY, None, 1, PROXY),
        (PROXY, "unknown", 1, PROXY),
        (PROXY, "203.0.113.9:4711", 1, "203.0.113.9"),
        (PROXY, "[2001:db8::1]:443", 1, "2001:db8::1"),
        (PROXY, "2001:DB8:0::1", 1, "2001:db8::1"),
    ],
)
def test_resolve(peer, forwarded_for, proxies, expected):
    assert resolve(peer, forwarded_for, proxies) == expected


def test_a_request_and_a_socket_resolve_alike(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().get(
        "/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.9"
    )
    assert client_address(request) == "203.0.113.9"
    scope = {
        "type": "websocket",
        "client": [PROXY, 50000],
        "headers": [
            (b"x-forwarded-for", b"198.51.100.1"),  # a second header line: joined in order
            (b"x-forwarded-for", b"203.0.113.9"),
        ],
    }
    assert client_address_from_scope(scope) == "203.0.113.9"
    assert client_address_from_scope({"type": "websocket", "client": None}) is None


@pytest.mark.django_db
def test_spoofed_forwarded_for_does_not_escape_the_intake_limit(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.INTAKE_RATE_LIMIT = 2
    cache.clear()
    services = ServiceFactory.create_batch(3)
    form = {"name": "Testi Asukas", "phone": "040 123 4567", "matter": "Fråga"}

    def intake(service, spoofed: str, real: str = "203.0.113.9"):
        client.cookies.clear()  # a new session each time, as a fresh browser
        return client.post(
            f"/widget/services/{service.slug}/",
            form,
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=f"{spoofed}, {real}",  # the proxy appended `real`
        )

    assert intake(services[0], "198.51.100.1").status_code == 302
    assert intake(services[1], "198.51.100.2").status_code == 302
    assert intake(services[2], "198.51.100.3").status_code == 429  # same client, new header
    assert intake(services[2], "198.51.100.3", real="203.0.113.10").status_code == 302
    assert Conversation.objects.count() == 3


@pytest.mark.django_db
def test_remote_addr_is_the_client_for_everything_after_the_middleware(client, settings):
    """allauth's login limit and the admin's audit rows read REMOTE_ADDR."""
    settings.TRUSTED_PROXY_COUNT = 1
    seen = {}

    from django.contrib.auth.signals import user_login_failed

    def record(sender, credentials, request, **kwargs):
        seen["address"] = request.META["REMOTE_ADDR"]

    user_login_failed.connect(record)
    try:
        client.post(
            "/accounts/login/",
            {"login": "nobody@example.org", "password": "wrong"},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.9",
        )
    finally:
        user_login_failed.disconnect(record)
    assert seen["address"] == "203.0.113.9"
