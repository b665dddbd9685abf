"""'Call me back instead' on the resident's chat page, through the test client:
offered only while the estimated wait exceeds the service's threshold, the
number masked to its last digits, the request kept idempotent."""

from __future__ import annotations

import pytest

from conversations import actions as chat_actions
from conversations.models import CallbackSource, ConversationEvent, EventKind
from tests.conftest import resident_cookie
from tests.customers import dom
from tests.factories import ConversationFactory, ServiceFactory, UserFactory

pytestmark = pytest.mark.django_db
FRAGMENT = {"HTTP_X_FRAGMENT": "1"}


def as_resident(client, conversation):
    name, key = resident_cookie(conversation).decode().split("=", 1)
    client.cookies[name] = key
    return client


@pytest.fixture
def waiting(callback_service):
    return ConversationFactory(service=callback_service["service"], resident_phone="+358401234567")


def test_the_waiting_page_offers_it_with_the_number_masked(client, waiting):
    page = dom.parse(as_resident(client, waiting).get("/en/widget/chat/").content)
    box = page.by_id("callback")
    assert not box.hidden and not page.by_id("callback-offer").hidden
    assert "ending in 567" in box.text()
    assert "1234567" not in page.text() and "+358" not in page.text()


@pytest.mark.parametrize("after", [None, 60])  # never offered; over the estimate (5 min)
def test_not_offered_without_a_threshold_or_under_it(client, after):
    conversation = ConversationFactory(service=ServiceFactory(callback_after_minutes=after))
    as_resident(client, conversation)
    page = dom.parse(client.get("/widget/chat/").content)
    assert page.by_id("callback").hidden
    response = client.post("/widget/callback/", **FRAGMENT)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_offered"
    conversation.refresh_from_db()
    assert conversation.callback_source == ""


def test_accepting_makes_it_a_call_back_that_keeps_its_place(client, waiting):
    as_resident(client, waiting)
    response = client.post("/widget/callback/", **FRAGMENT)
    assert response.status_code == 200
    assert response.json() == {"state": "requested", "phone_end": "567"}
    waiting.refresh_from_db()
    assert waiting.callback_source == CallbackSource.QUEUE
    assert waiting.status == "waiting"
    # Asking again changes nothing and records nothing more.
    assert client.post("/widget/callback/", **FRAGMENT).json()["state"] == "requested"
    assert (
        ConversationEvent.objects.filter(
            conversation=waiting, kind=EventKind.CALLBACK_REQUESTED
        ).count()
        == 1
    )
    page = dom.parse(client.get("/en/widget/chat/").content)
    assert page.by_id("callback-offer").hidden
    assert "We will call you at the number ending in 567" in page.by_id("callback-message").text()


def test_without_script_the_form_posts_and_the_page_says_so(client, waiting):
    as_resident(client, waiting)
    response = client.post("/widget/callback/")
    assert response.status_code == 302 and response["Location"] == "/widget/chat/"
    waiting.refresh_from_db()
    assert waiting.callback_source == CallbackSource.QUEUE


def test_a_conversation_already_taken_is_not_offered_one(client, callback_service, waiting):
    chat_actions.claim_conversation(
        conversation_id=waiting.pk, professional=callback_service["professional"]
    )
    as_resident(client, waiting)
    response = client.post("/widget/callback/", **FRAGMENT)
    assert response.json()["error"]["code"] == "not_waiting"


def test_nobody_else_can_ask_for_it(client, waiting):
    assert client.post("/widget/callback/", **FRAGMENT).status_code == 404
    client.force_login(UserFactory(), backend="django.contrib.auth.backends.ModelBackend")
    assert client.post("/widget/callback/", **FRAGMENT).status_code == 404
    waiting.refresh_from_db()
    assert waiting.callback_source == ""
