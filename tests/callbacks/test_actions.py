"""The call-back rules in the actions themselves, whatever path calls them (the
socket refuses the same senders before: tests/conversations/test_access.py)."""

from __future__ import annotations

import pytest

from callbacks import actions
from callbacks.errors import CallbackError
from conversations.actions import lifecycle
from conversations.models import CallbackSource, ConversationStatus
from tests.factories import ConversationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def callback(callback_service):
    return ConversationFactory(
        service=callback_service["service"], callback_source=CallbackSource.QUEUE
    )


def refused(code: str, **kwargs) -> None:
    with pytest.raises(CallbackError) as caught:
        actions.record_outcome(**kwargs)
    assert caught.value.code == code


def test_only_the_assigned_professional_marks_the_outcome(callback_service, callback):
    refused(
        "not_assigned",
        conversation_id=callback.pk,
        professional=callback_service["professional"],
        outcome="reached",
    )  # nobody took it yet
    lifecycle.claim_conversation(
        conversation_id=callback.pk, professional=callback_service["professional"]
    )
    for other in ("colleague", "outsider"):
        refused(
            "not_assigned",
            conversation_id=callback.pk,
            professional=callback_service[other],
            outcome="no_answer",
        )
    callback.refresh_from_db()
    assert (callback.status, callback.callback_attempts) == (ConversationStatus.ACTIVE, 0)


def test_a_chat_has_no_outcome(callback_service):
    chat = ConversationFactory(service=callback_service["service"])
    lifecycle.claim_conversation(
        conversation_id=chat.pk, professional=callback_service["professional"]
    )
    refused(
        "not_callback",
        conversation_id=chat.pk,
        professional=callback_service["professional"],
        outcome="reached",
    )


def test_a_contact_request_is_refused_while_the_service_is_open(callback_service):
    service = callback_service["service"]  # open around the clock
    service.contact_requests = True
    with pytest.raises(CallbackError) as caught:
        actions.leave_contact_request(
            service=service, name="A", phone="+358401234567", matter="B", language="sv"
        )
    assert caught.value.code == "service_open"
