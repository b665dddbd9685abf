"""Language-aware routing: a strict service keeps a conversation for professionals
who speak its language until its fallback wait, the wait estimate counts who is
available to speak it, and professionals declare their languages themselves."""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from conversations import actions, languages
from conversations.errors import DomainError
from conversations.models import Conversation, ConversationStatus
from customers.selectors import chat_page_state
from staff.models import Presence
from staff.selectors import dashboard_config
from tests.factories import ConversationFactory, ServiceFactory, UserFactory


@pytest.mark.parametrize(
    ("declared", "factor"),
    [
        ([], 1.0),  # nobody available: nothing to say
        ([["sv"], ["sv", "fi"]], 1.0),
        ([["fi"], ["sv"]], 2.0),
        ([["fi"], ["fi"], ["sv"]], 3.0),
        ([["fi"], ["fi"]], languages.MAX_WAIT_FACTOR),
        ([[], ["fi"]], 2.0),  # none declared: speaks every language
    ],
)
def test_the_wait_factor(declared, factor):
    assert languages.wait_factor(declared, "sv") == factor


def strict_service(minutes=5):
    return ServiceFactory(language_strict=True, language_fallback_minutes=minutes)


def professional_of(service, *codes):
    user = UserFactory(languages=list(codes))
    service.professionals.add(user)
    return user


@pytest.mark.django_db
def test_a_strict_service_keeps_the_conversation_for_speakers_until_the_fallback():
    service = strict_service()
    finn, swede, anyone = (
        professional_of(service, "fi"),
        professional_of(service, "sv"),
        professional_of(service),
    )
    first = ConversationFactory(service=service, language="sv")
    with pytest.raises(DomainError) as refused:
        actions.claim_conversation(conversation_id=first.pk, professional=finn)
    assert refused.value.code == "language_reserved"
    assert Conversation.objects.get(pk=first.pk).status == ConversationStatus.WAITING
    actions.claim_conversation(conversation_id=first.pk, professional=swede)
    # Someone who declared no language speaks them all.
    second = ConversationFactory(service=service, language="sv")
    actions.claim_conversation(conversation_id=second.pk, professional=anyone)
    # After the fallback wait anyone may take it: nobody waits forever.
    third = ConversationFactory(
        service=service, language="sv", created_at=timezone.now() - timedelta(minutes=5)
    )
    actions.claim_conversation(conversation_id=third.pk, professional=finn)


@pytest.mark.django_db
def test_a_service_that_is_not_strict_offers_everything_to_everyone():
    service = ServiceFactory()
    finn = professional_of(service, "fi")
    conversation = ConversationFactory(service=service, language="en")
    actions.claim_conversation(conversation_id=conversation.pk, professional=finn)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("channel_layer")
async def test_the_refusal_reaches_the_professional_as_a_clear_error(staff_socket):
    @database_sync_to_async
    def world():
        service = strict_service()
        return professional_of(service, "fi"), ConversationFactory(service=service, language="sv")

    finn, conversation = await world()
    sock = await staff_socket(finn)
    await sock.send({"type": "conversation.claim", "conversation": conversation.pk})
    error = await sock.recv_until("error", timeout=10)
    assert error["code"] == "language_reserved" and "språk" in error["message"]


@pytest.mark.django_db
def test_the_wait_estimate_counts_who_speaks_the_language():
    service = ServiceFactory()
    for codes in (["fi"], ["fi"], ["sv"]):
        professional_of(service, *codes).__class__.objects.filter(languages=list(codes)).update(
            presence=Presence.AVAILABLE
        )
    swedish = chat_page_state(conversation=ConversationFactory(service=service, language="sv"))
    finnish = chat_page_state(conversation=ConversationFactory(service=service, language="fi"))
    # Three available, one speaks Swedish, two Finnish: the pace is 3 and 1.5 times the usual.
    assert swedish["minutes_per_position"] == pytest.approx(2 * finnish["minutes_per_position"])


@pytest.mark.django_db
def test_the_dashboard_knows_the_professionals_languages_and_strict_services():
    service = strict_service(minutes=7)
    other = ServiceFactory()
    user = professional_of(service, "sv", "fi")
    other.professionals.add(user)
    config = dashboard_config(user=user)
    assert config["my_languages"] == ["sv", "fi"]
    by_id = {s["id"]: s for s in config["services"]}
    assert by_id[service.pk]["language_fallback_minutes"] == 7
    assert by_id[other.pk]["language_fallback_minutes"] is None


@pytest.mark.django_db
def test_professionals_declare_their_languages_on_their_profile(client):
    user = UserFactory()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get("/staff/profile/")
    assert page.status_code == 200 and b'type="checkbox"' in page.content
    response = client.post("/staff/profile/", {"languages": ["fi", "sv"]})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.languages == ["sv", "fi"]  # in the service's order
    refused = client.post("/staff/profile/", {"languages": ["de"]})
    assert refused.status_code == 400
    user.refresh_from_db()
    assert user.languages == ["sv", "fi"]
    client.post("/staff/profile/", {})
    user.refresh_from_db()
    assert user.languages == []
