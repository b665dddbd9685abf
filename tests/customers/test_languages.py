"""Every link on the resident's pages stays in the page's language."""

import pytest

from conversations.models import Conversation
from tests.customers import dom
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db
VALID = {"name": "Testi Asukas", "phone": "040 123 4567", "matter": "Fråga om vaccin"}
PREFIXES = {"sv": "", "fi": "/fi", "en": "/en"}


def local_links(page: dom.Element) -> list[str]:
    """Links and form targets to this service's pages, except the language switch."""
    targets = [a.attrs["href"] for a in page.find_all("a", href=...) if "hreflang" not in a.attrs]
    targets += [f.attrs["action"] for f in page.find_all("form", action=...)]
    return [t for t in targets if t.startswith("/") and not t.startswith("/static/")]


def in_language(url: str, language: str) -> bool:
    others = [p for code, p in PREFIXES.items() if p and code != language]
    if PREFIXES[language]:
        return url.startswith(PREFIXES[language] + "/")
    return not any(url.startswith(p + "/") for p in others)


@pytest.mark.parametrize("language", PREFIXES)
def test_every_link_on_resident_pages_keeps_the_language(client, service, language):
    prefix = PREFIXES[language]
    closed = ServiceFactory(always_open=False)
    paths = [
        "/",
        "/privacy/",
        "/widget/",
        "/widget/services/",
        f"/widget/services/{service.slug}/",
        f"/widget/services/{closed.slug}/",
        "/widget/end/",
        "/widget/ended/",
    ]
    pages = {path: client.get(prefix + path) for path in paths}
    # a failed submit, then the chat and its end page
    pages["intake error"] = client.post(f"{prefix}/widget/services/{service.slug}/", {})
    client.post(f"{prefix}/widget/services/{service.slug}/", VALID)
    assert Conversation.objects.exists()
    pages["chat"] = client.get(f"{prefix}/widget/chat/")
    pages["end with chat"] = client.get(f"{prefix}/widget/end/")
    checked = 0
    for name, response in pages.items():
        assert response.status_code in (200, 400), name
        page = dom.parse(response.content)
        assert page.find_all("html")[0].attrs["lang"] == language, name
        for url in local_links(page):
            assert in_language(url, language), (name, url)
            checked += 1
    assert checked > 15
