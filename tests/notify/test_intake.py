"""The intake's tick box over HTTP: offered unticked, stored when ticked, gone
when text messages are off."""

import pytest

from conversations.models import Conversation
from tests.customers import dom
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db
VALID = {"name": "Testi Asukas", "phone": "040 123 4567", "matter": "Fråga om vaccin"}


@pytest.fixture
def url(db):
    return f"/widget/services/{ServiceFactory().slug}/"


def test_the_box_is_offered_unticked_with_its_label_and_note(client, url, settings):
    settings.SMS_BACKEND = "console"
    page = client.get(url).content.decode()
    assert 'type="checkbox" name="sms_wanted"' in page
    assert "checked" not in page.split('name="sms_wanted"')[1].split(">")[0]
    assert (
        '<label for="id_sms_wanted">Skicka ett sms till mig när en yrkesperson är redo</label>'
        in page
    )
    assert 'aria-describedby="sms_wanted-help"' in page
    note = dom.parse(client.get(url).content).by_id("sms_wanted-help").text()
    assert "telefonnumret ovan" in note


@pytest.mark.parametrize(
    ("prefix", "label"),
    [
        ("/fi", "Lähetä minulle tekstiviesti, kun ammattilainen on valmis"),
        ("/en", "Send me a text message when a professional is ready"),
    ],
)
def test_the_label_in_each_language(client, url, prefix, label):
    assert label in client.get(prefix + url).content.decode()


def test_ticked_is_stored(client, url):
    response = client.post(url, {**VALID, "sms_wanted": "on"})
    assert response.status_code == 302
    conversation = Conversation.objects.get()
    assert conversation.sms_wanted is True
    assert conversation.resident_phone == "+358401234567"


def test_unticked_is_not(client, url):
    assert client.post(url, VALID).status_code == 302
    assert Conversation.objects.get().sms_wanted is False


def test_off_neither_offers_nor_stores_it(client, url, settings):
    settings.SMS_BACKEND = "off"
    assert "sms_wanted" not in client.get(url).content.decode()
    client.post(url, {**VALID, "sms_wanted": "on"})
    assert Conversation.objects.get().sms_wanted is False
