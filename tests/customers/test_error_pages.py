"""Error pages: translated by the URL's language, in the site's look, with a way
back, and frameable inside the chatbot panel like the widget's pages."""

import pytest
from django.test import Client

from tests.customers import dom
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOT_FOUND = {"sv": "Sidan hittades inte", "fi": "Sivua ei löytynyt", "en": "Page not found"}
PREFIX = {"sv": "", "fi": "/fi", "en": "/en"}


def assert_error_page(response, *, status, language, heading):
    assert response.status_code == status
    page = dom.parse(response.content)
    assert page.find_all("html")[0].attrs["lang"] == language
    [h1] = page.find_all("h1")
    assert h1.text() == heading
    assert page.find_all("link", rel="stylesheet", href="/static/css/site.css")
    assert b"<script>" not in response.content  # no inline script under the CSP
    csp = response["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    return page


@pytest.mark.parametrize("language", ["sv", "fi", "en"])
def test_missing_page_is_a_translated_404_with_a_way_back(client, language):
    response = client.get(f"{PREFIX[language]}/no/such/page/")
    page = assert_error_page(response, status=404, language=language, heading=NOT_FOUND[language])
    [back] = page.find_all("a", class_="button primary")
    assert back.attrs["href"] == f"{PREFIX[language]}/"  # the front page, same language
    # outside the panel nobody may frame it
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("language", ["sv", "fi", "en"])
def test_404_inside_the_panel_may_be_framed_and_leads_back_to_the_chatbot(client, language):
    response = client.get(f"{PREFIX[language]}/widget/services/no-such-service/")
    page = assert_error_page(response, status=404, language=language, heading=NOT_FOUND[language])
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    assert "X-Frame-Options" not in response
    [back] = page.find_all("a", class_="button primary")
    assert back.attrs["href"] == f"{PREFIX[language]}/widget/"
    assert page.find_all("script", src="/static/customers/panel.js")  # focus, Escape


def test_400_is_translated(client):
    response = client.get("/fi/widget/", HTTP_HOST="evil.example")
    assert_error_page(response, status=400, language="fi", heading="Pyyntöä ei voitu käsitellä")


def test_403_is_translated_with_a_way_back_to_the_dashboard(client):
    professional = UserFactory()
    client.force_login(professional, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get("/en/staff/supervisor/")
    page = assert_error_page(response, status=403, language="en", heading="Access denied")
    [back] = page.find_all("a", class_="button primary")
    assert back.attrs["href"] == "/en/staff/"


def test_an_expired_form_in_the_panel_explains_itself_in_the_panel(service):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        f"/fi/widget/services/{service.slug}/",
        {"name": "x", "phone": "040 123 4567", "matter": "y"},
    )
    page = assert_error_page(response, status=403, language="fi", heading="Lomake on vanhentunut")
    assert "lataa sivu uudelleen" in page.text()
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    assert "X-Frame-Options" not in response


def test_500_is_translated_and_shown_inside_the_panel(monkeypatch):
    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr("customers.views.service_cards", broken)
    client = Client(raise_request_exception=False)
    response = client.get("/fi/widget/services/")
    page = assert_error_page(response, status=500, language="fi", heading="Jokin meni vikaan")
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    assert "X-Frame-Options" not in response
    [back] = page.find_all("a", class_="button primary")
    assert back.attrs["href"] == "/fi/widget/"
