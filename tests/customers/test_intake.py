"""The intake form: identity codes in every field, the notice after masking, the
rate limit, links in the page's language."""

import phonenumbers
import pytest
from django import forms
from django.conf import settings as project_settings

from conversations.models import Conversation
from customers import ratelimit
from customers.forms import IntakeForm
from identity import hetu
from tests.customers import dom
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db
VALID = {"name": "Testi Asukas", "phone": "040 123 4567", "matter": "Fråga om vaccin"}
CODE = "010280-952L"


def intake_url(service, prefix=""):
    return f"{prefix}/widget/services/{service.slug}/"


# --- Identity codes -------------------------------------------------------------

PHONE_FIELD_CODES = [
    "010280-952L",
    "010280952L",  # without the century sign
    "0 1 0 2 8 0 - 9 5 2 L",
    "０１０２８０－９５２Ｌ",
    "010280\u00ad-952L",
    "010469-999W",
]


@pytest.mark.parametrize("typed", PHONE_FIELD_CODES)
def test_identity_code_in_the_phone_field_is_refused_before_the_phone_library_sees_it(
    client, service, monkeypatch, typed
):
    parsed: list[tuple] = []
    real_parse = phonenumbers.parse

    def spy(*args, **kwargs):
        parsed.append(args)
        return real_parse(*args, **kwargs)

    monkeypatch.setattr(phonenumbers, "parse", spy)
    response = client.post(intake_url(service), {**VALID, "phone": typed})
    assert response.status_code == 400
    assert not Conversation.objects.exists()
    # refused before any phone parsing: the library reads "010280-952L" as the valid
    # number +35810280952 (the date and individual number, to call)
    assert parsed == []
    errors = dom.parse(response.content).by_id("phone-errors").text()
    assert "Skriv inte din personbeteckning här" in errors


def test_the_refusal_is_in_the_residents_language(client, service):
    response = client.post(intake_url(service, "/fi"), {**VALID, "phone": CODE})
    assert "Älä kirjoita henkilötunnustasi tähän" in response.content.decode()


@pytest.mark.parametrize("name", list(IntakeForm.base_fields))
def test_every_intake_field_is_checked_for_identity_codes(client, service, name):
    """The whole class of resident-entered fields: a code never reaches the database."""
    response = client.post(intake_url(service), {**VALID, name: CODE})
    conversation = Conversation.objects.first()
    if conversation is None:
        assert response.status_code == 400  # refused
        return
    stored = (conversation.resident_name, conversation.resident_phone, conversation.matter)
    assert all("952" not in value for value in stored), stored
    assert hetu.MASK in " ".join(stored)


def test_a_form_field_without_the_identity_code_check_is_refused():
    class Careless(IntakeForm):
        email = forms.CharField()

    with pytest.raises(TypeError, match="email"):
        Careless()


def test_a_code_in_the_intake_is_masked_and_the_resident_told_on_the_chat_page(client, service):
    response = client.post(
        intake_url(service, "/fi"), {**VALID, "matter": f"Koodini on {CODE}, apua"}
    )
    assert response.status_code == 302
    conversation = Conversation.objects.get()
    assert CODE not in conversation.matter and hetu.MASK in conversation.matter
    page = dom.parse(client.get(response["Location"]).content)
    [notice] = page.find_all(class_="page-messages")
    assert notice.attrs["role"] == "alert" and "data-focus-on-load" in notice.attrs
    assert "piilotettiin henkilötunnus" in notice.text()
    # said once, not on every reload
    assert (
        dom.parse(client.get(response["Location"]).content).find_all(class_="page-messages") == []
    )


def test_no_notice_when_nothing_was_masked(client, service):
    client.post(intake_url(service), VALID)
    page = dom.parse(client.get("/widget/chat/").content)
    assert page.find_all(class_="page-messages") == []


# --- Rate limit -----------------------------------------------------------------


def test_invalid_submissions_do_not_count_against_the_limit(client, service, settings):
    settings.INTAKE_RATE_LIMIT = 2
    for _ in range(5):  # five typing errors
        assert client.post(intake_url(service), {**VALID, "phone": "123"}).status_code == 400
    assert client.post(intake_url(service), VALID).status_code == 302


def test_only_started_conversations_count(client, settings):
    settings.INTAKE_RATE_LIMIT = 2
    services = ServiceFactory.create_batch(3)
    for service in services[:2]:
        client.post(intake_url(service), {**VALID, "phone": "abc"})
        assert client.post(intake_url(service), VALID).status_code == 302
        client.post("/widget/end/")
    response = client.post(intake_url(services[2]), VALID)
    assert response.status_code == 429
    assert "För många chattar" in dom.parse(response.content).by_id("error-summary").text()


def test_each_address_has_its_own_limit(client, settings):
    settings.INTAKE_RATE_LIMIT = 1
    first, second = ServiceFactory.create_batch(2)
    assert client.post(intake_url(first), VALID, REMOTE_ADDR="192.0.2.1").status_code == 302
    client.post("/widget/end/", REMOTE_ADDR="192.0.2.1")
    assert client.post(intake_url(second), VALID, REMOTE_ADDR="192.0.2.1").status_code == 429
    assert client.post(intake_url(second), VALID, REMOTE_ADDR="192.0.2.2").status_code == 302


def test_an_ipv6_client_is_counted_by_its_64_network(client, settings):
    settings.INTAKE_RATE_LIMIT = 1
    first, second = ServiceFactory.create_batch(2)
    assert client.post(intake_url(first), VALID, REMOTE_ADDR="2001:db8:1:2::1").status_code == 302
    client.post("/widget/end/")
    # another address of the same /64 is the same client
    assert client.post(intake_url(second), VALID, REMOTE_ADDR="2001:db8:1:2::99").status_code == 429
    assert client.post(intake_url(second), VALID, REMOTE_ADDR="2001:db8:1:3::1").status_code == 302


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("unknown", "unknown"),
    ],
)
def test_address_key(address, key):
    assert ratelimit.address_key(address) == key


def test_the_default_limit_lets_a_shared_computer_room_work():
    """Ten residents at a library's computers behind one address in ten minutes."""
    assert project_settings.INTAKE_RATE_LIMIT >= 10


# --- Links in the page's language ---------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "privacy"), [("", "/privacy/"), ("/fi", "/fi/privacy/"), ("/en", "/en/privacy/")]
)
def test_the_privacy_link_follows_the_language(client, service, prefix, privacy):
    page = dom.parse(client.get(intake_url(service, prefix)).content)
    assert privacy in page.links()
    assert client.get(privacy).status_code == 200


def test_an_external_privacy_notice_may_take_the_language(client, service, settings):
    settings.PRIVACY_NOTICE_URL = "https://county.example/{lang}/privacy"
    page = dom.parse(client.get(intake_url(service, "/fi")).content)
    assert "https://county.example/fi/privacy" in page.links()
