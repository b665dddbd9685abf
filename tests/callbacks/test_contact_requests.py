"""The contact request on a closed service's page, through the test client: the
intake's identity-code rules, warnings and rate limit; only while the service is
closed and takes contact requests."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from conversations import hours
from conversations.models import (
    CallbackSource,
    Conversation,
    ConversationEvent,
    ConversationStatus,
    EventKind,
    OpeningHours,
)
from identity import hetu
from tests.customers import dom
from tests.factories import ServiceFactory, UserFactory

pytestmark = pytest.mark.django_db
VALID = {
    "contact-name": "Testi Asukas",
    "contact-phone": "040 123 4567",
    "contact-matter": "Fråga om barnrådgivning",
}
CODE = "010280-952L"


@pytest.fixture
def closed_service(db):
    """Closed now: open only on the weekday after tomorrow (Helsinki time)."""
    service = ServiceFactory(always_open=False, contact_requests=True)
    later = timezone.localtime() + timedelta(days=2)
    OpeningHours.objects.create(
        service=service, weekday=later.weekday(), opens=time(8), closes=time(16)
    )
    assert not hours.is_open(service)
    return service


def url(service, prefix=""):
    return f"{prefix}/widget/services/{service.slug}/contact/"


def test_the_closed_page_offers_the_form(client, closed_service):
    page = dom.parse(client.get(f"/widget/services/{closed_service.slug}/").content)
    assert page.by_id("contact-heading").text() == "Be oss ringa dig"
    assert page.by_id("id_contact-phone").attrs["autocomplete"] == "tel"
    assert "personbeteckning" in page.find_all(class_="contact-request")[0].text()


def test_a_valid_request_waits_in_the_queue_and_says_when_to_expect_a_call(client, closed_service):
    response = client.post(url(closed_service, "/en"), VALID)
    assert response.status_code == 302
    assert response["Location"] == f"/en/widget/services/{closed_service.slug}/contact/sent/"
    conversation = Conversation.objects.get()
    assert conversation.status == ConversationStatus.WAITING
    assert conversation.callback_source == CallbackSource.CLOSED
    assert conversation.resident_phone == "+358401234567"
    assert conversation.language == "en"
    assert list(
        ConversationEvent.objects.filter(conversation=conversation).values_list("kind", flat=True)
    ) == [EventKind.CONTACT_REQUESTED]
    # The request belongs to no browser session: the widget does not send the
    # resident to a chat page.
    assert client.get("/en/widget/services/").status_code == 200
    with timezone.override(timezone.get_current_timezone()):
        opening = hours.next_opening(closed_service)
    page = dom.parse(client.get(response["Location"]).content)
    sent = page.by_id("contact-sent").text()
    assert date_format(timezone.localtime(opening), "l j.n. H:i") in sent


@pytest.mark.parametrize("typed", ["010280-952L", "010280952L", "０１０２８０－９５２Ｌ"])
def test_an_identity_code_as_the_phone_number_is_refused(client, closed_service, typed):
    response = client.post(url(closed_service), {**VALID, "contact-phone": typed})
    assert response.status_code == 400
    assert not Conversation.objects.exists()
    errors = dom.parse(response.content).by_id("contact-phone-errors").text()
    assert "Skriv inte din personbeteckning här" in errors


def test_an_identity_code_in_the_matter_is_masked_and_the_resident_told(client, closed_service):
    response = client.post(
        url(closed_service, "/fi"), {**VALID, "contact-matter": f"Koodini on {CODE}, apua"}
    )
    assert response.status_code == 302
    conversation = Conversation.objects.get()
    assert CODE not in conversation.matter and hetu.MASK in conversation.matter
    assert ConversationEvent.objects.filter(
        conversation=conversation, kind=EventKind.IDENTITY_CODE_MASKED
    ).exists()
    page = dom.parse(client.get(response["Location"]).content)
    [notice] = page.find_all(class_="page-messages")
    assert "piilotettiin henkilötunnus" in notice.text()


def test_an_invalid_phone_number_is_refused_with_the_intakes_message(client, closed_service):
    response = client.post(url(closed_service), {**VALID, "contact-phone": "123"})
    assert response.status_code == 400
    assert not Conversation.objects.exists()
    assert "telefonnummer" in dom.parse(response.content).by_id("error-summary").text()


def test_the_intakes_rate_limit_applies(client, closed_service, settings):
    settings.INTAKE_RATE_LIMIT = 1
    for _ in range(3):  # typing errors do not count
        assert client.post(url(closed_service), {**VALID, "contact-phone": "1"}).status_code == 400
    assert client.post(url(closed_service), VALID).status_code == 302
    response = client.post(url(closed_service), VALID)
    assert response.status_code == 429
    assert "error-summary" in response.content.decode()
    assert Conversation.objects.count() == 1
    # The same counter as the intake's: no chat either from this address.
    open_service = ServiceFactory()
    chat = client.post(
        f"/widget/services/{open_service.slug}/",
        {"name": "Testi", "phone": "040 123 4567", "matter": "Fråga"},
    )
    assert chat.status_code == 429


def test_an_open_service_takes_no_contact_request(client):
    service = ServiceFactory(contact_requests=True)  # open around the clock
    response = client.post(url(service), VALID)
    assert response.status_code == 302
    assert response["Location"] == f"/widget/services/{service.slug}/"
    assert not Conversation.objects.exists()


def test_a_service_without_contact_requests_has_no_form_and_refuses_them(client, closed_service):
    closed_service.contact_requests = False
    closed_service.save()
    page = dom.parse(client.get(f"/widget/services/{closed_service.slug}/").content)
    assert page.find_all(id="contact-heading") == []
    assert client.post(url(closed_service), VALID).status_code == 404
    assert not Conversation.objects.exists()


def test_the_administrator_sets_both_per_service(client, closed_service):
    admin = UserFactory(is_superuser=True)
    client.force_login(admin, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get(f"/admin/conversations/service/{closed_service.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="callback_after_minutes"' in html and 'name="contact_requests"' in html
