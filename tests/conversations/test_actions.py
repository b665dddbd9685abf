"""The rules of DESIGN.md, enforced by the actions."""

import pytest
from django.db import transaction
from django.utils import translation

from conversations import actions
from conversations.errors import DomainError
from conversations.events import ConversationChanged, MessageNew, QueueChanged
from conversations.models import (
    ActorKind,
    ConversationEvent,
    ConversationStatus,
    Message,
    SystemCloseCode,
)
from tests.factories import ConversationFactory, ServiceFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_create_conversation_queues_and_announces(
    service, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        conversation = actions.create_conversation(
            service=service, name=" Anna ", phone="+358401234567", matter="Vaccin", language="fi"
        )
    assert conversation.status == ConversationStatus.WAITING
    assert conversation.resident_name == "Anna"
    assert conversation.language == "fi"
    assert list(conversation.events.values_list("kind", flat=True)) == ["created"]
    changed, queue = published
    assert isinstance(changed, ConversationChanged) and changed.change == "created"
    assert isinstance(queue, QueueChanged) and queue.waiting == [conversation.pk]


def test_create_conversation_refuses_a_closed_service():
    closed = ServiceFactory(always_open=False)
    with pytest.raises(DomainError) as exc:
        actions.create_conversation(service=closed, name="A", phone="1", matter="m", language="sv")
    assert exc.value.code == "service_closed"


def test_create_conversation_refuses_an_inactive_service():
    inactive = ServiceFactory(is_active=False)
    with pytest.raises(DomainError) as exc:
        actions.create_conversation(
            service=inactive, name="A", phone="1", matter="m", language="sv"
        )
    assert exc.value.code == "service_unavailable"


@pytest.mark.parametrize("field", ["name", "phone", "matter"])
def test_create_conversation_refuses_missing_or_overlong_fields(service, field):
    fields = {"name": "A", "phone": "1", "matter": "m"}
    for bad in ("  ", "x" * 501):
        with pytest.raises(DomainError) as exc:
            actions.create_conversation(service=service, language="sv", **{**fields, field: bad})
        assert exc.value.code == "invalid_input"


def test_unknown_language_falls_back_to_swedish(service):
    conversation = actions.create_conversation(
        service=service, name="A", phone="1", matter="m", language="de"
    )
    assert conversation.language == "sv"


def test_events_are_published_only_after_commit(conversation, published):
    with pytest.raises(RuntimeError), transaction.atomic():
        actions.post_message(
            conversation_id=conversation.pk,
            author_kind=ActorKind.RESIDENT,
            body="hi",
            client_id="c1",
        )
        raise RuntimeError("roll back")
    assert published == []
    assert not Message.objects.exists()


def test_post_message_numbers_gaplessly_and_publishes(
    conversation, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(3):
            actions.post_message(
                conversation_id=conversation.pk,
                author_kind=ActorKind.RESIDENT,
                body=f"m{i}",
                client_id=f"c{i}",
            )
    assert list(Message.objects.values_list("seq", flat=True)) == [1, 2, 3]
    assert [e.seq for e in published if isinstance(e, MessageNew)] == [1, 2, 3]
    conversation.refresh_from_db()
    assert conversation.last_seq == 3


def test_staff_may_write_only_when_assigned(conversation, professional):
    with pytest.raises(DomainError) as exc:
        actions.post_message(
            conversation_id=conversation.pk,
            author_kind=ActorKind.STAFF,
            author=professional,
            body="x",
            client_id="a",
        )
    assert exc.value.code == "not_assigned"
    actions.claim_conversation(conversation_id=conversation.pk, professional=professional)
    colleague = UserFactory()
    conversation.service.professionals.add(colleague)
    with pytest.raises(DomainError):
        actions.post_message(
            conversation_id=conversation.pk,
            author_kind=ActorKind.STAFF,
            author=colleague,
            body="x",
            client_id="b",
        )
    result = actions.post_message(
        conversation_id=conversation.pk,
        author_kind=ActorKind.STAFF,
        author=professional,
        body="x",
        client_id="c",
    )
    assert result.created and result.message.seq == 1


def test_claim_needs_membership_and_respects_the_limit(conversation, professional):
    outsider = UserFactory()
    with pytest.raises(DomainError) as exc:
        actions.claim_conversation(conversation_id=conversation.pk, professional=outsider)
    assert exc.value.code == "not_member"
    other = ConversationFactory(service=conversation.service)
    actions.claim_conversation(
        conversation_id=conversation.pk, professional=professional, max_active=1
    )
    with pytest.raises(DomainError) as exc:
        actions.claim_conversation(
            conversation_id=other.pk, professional=professional, max_active=1
        )
    assert exc.value.code == "limit_reached"


def test_second_claim_is_refused_clearly(conversation, professional):
    colleague = UserFactory()
    conversation.service.professionals.add(colleague)
    actions.claim_conversation(conversation_id=conversation.pk, professional=professional)
    with pytest.raises(DomainError) as exc:
        actions.claim_conversation(conversation_id=conversation.pk, professional=colleague)
    assert exc.value.code == "already_claimed"
    # The message follows the active language (the socket sets the conversation's).
    with translation.override("sv"):
        assert exc.value.message == "En kollega tog redan det här samtalet."
    with translation.override("fi"):
        assert "kollega" not in exc.value.message and exc.value.message


def test_transfer_to_a_service_puts_it_back_in_a_queue(
    conversation, professional, published, django_capture_on_commit_callbacks
):
    target = ServiceFactory()
    actions.claim_conversation(conversation_id=conversation.pk, professional=professional)
    with django_capture_on_commit_callbacks(execute=True):
        moved = actions.transfer_to_service(
            conversation_id=conversation.pk,
            by=professional,
            service=target,
            note_text="Better there",
        )
    assert (moved.status, moved.service, moved.assigned_to) == ("waiting", target, None)
    event = moved.events.get(kind="transferred")
    assert event.payload["to_service"] == target.pk
    assert list(moved.notes.values_list("body", flat=True)) == [
        "Better there"
    ]  # for the next professional
    queues = {e.service for e in published if isinstance(e, QueueChanged)}
    assert queues == {target.pk, conversation.service_id}


def test_transfer_to_a_colleague_keeps_it_active(conversation, professional):
    colleague = UserFactory()
    conversation.service.professionals.add(colleague)
    actions.claim_conversation(conversation_id=conversation.pk, professional=professional)
    moved = actions.transfer_to_colleague(
        conversation_id=conversation.pk, by=professional, colleague=colleague
    )
    assert (moved.status, moved.assigned_to) == ("active", colleague)


def test_transfer_to_a_colleague_respects_their_limit(conversation, professional):
    colleague = UserFactory()
    conversation.service.professionals.add(colleague)
    busy = ConversationFactory(service=conversation.service)
    actions.claim_conversation(conversation_id=busy.pk, professional=colleague)
    actions.claim_conversation(conversation_id=conversation.pk, professional=professional)
    with pytest.raises(DomainError) as exc:
        actions.transfer_to_colleague(
            conversation_id=conversation.pk,
            by=professional,
            colleague=colleague,
            colleague_max_active=1,
        )
    assert exc.value.code == "colleague_limit_reached"


def test_transfer_refuses_colleagues_outside_the_service_and_non_owners(conversation, professional):
    outsider = UserFactory()
    actions.claim_conversation(conversation_id=conversation.pk, professional=professional)
    with pytest.raises(DomainError) as exc:
        actions.transfer_to_colleague(
            conversation_id=conversation.pk, by=professional, colleague=outsider
        )
    assert exc.value.code == "invalid_transfer"
    with pytest.raises(DomainError) as exc:
        actions.transfer_to_service(
            conversation_id=conversation.pk, by=outsider, service=ServiceFactory()
        )
    assert exc.value.code == "not_assigned"


def test_only_the_assigned_professional_closes_an_active_conversation(conversation, professional):
    actions.claim_conversation(conversation_id=conversation.pk, professional=professional)
    with pytest.raises(DomainError) as exc:
        actions.close_by_professional(
            conversation_id=conversation.pk, reason="resolved", professional=UserFactory()
        )
    assert exc.value.code == "not_assigned"
    with pytest.raises(DomainError) as exc:
        actions.close_by_system(conversation_id=conversation.pk, code=SystemCloseCode.ABANDONED)
    assert exc.value.code == "already_claimed"  # the system never closes a served conversation
    closed = actions.close_by_professional(
        conversation_id=conversation.pk, reason="resolved", professional=professional
    )
    assert (closed.status, closed.closed_by, closed.close_reason, closed.system_close_code) == (
        "closed",
        "staff",
        "resolved",
        "",
    )
    with pytest.raises(DomainError) as exc:
        actions.close_by_professional(
            conversation_id=conversation.pk, reason="resolved", professional=professional
        )
    assert exc.value.code == "conversation_closed"
    with pytest.raises(DomainError) as exc:
        actions.post_message(
            conversation_id=conversation.pk,
            author_kind=ActorKind.RESIDENT,
            body="x",
            client_id="late",
        )
    assert exc.value.code == "conversation_closed"


def test_close_sends_the_closed_signal_after_commit(
    conversation, professional, django_capture_on_commit_callbacks
):
    from conversations.signals import conversation_closed

    heard = []

    def receiver(sender, conversation_id, **kwargs):
        heard.append(conversation_id)

    conversation_closed.connect(receiver)
    try:
        actions.claim_conversation(conversation_id=conversation.pk, professional=professional)
        with django_capture_on_commit_callbacks(execute=True):
            actions.close_by_professional(
                conversation_id=conversation.pk, reason="resolved", professional=professional
            )
            assert heard == []
        assert heard == [conversation.pk]
    finally:
        conversation_closed.disconnect(receiver)


def test_resident_leaving_while_waiting_abandons_the_conversation(conversation):
    left = actions.mark_resident_left(conversation_id=conversation.pk)
    assert (left.status, left.closed_by, left.system_close_code, left.close_reason) == (
        "closed",
        "system",
        "abandoned",
        "",
    )
    assert left.resident_left_at is not None
    kinds = list(
        ConversationEvent.objects.filter(conversation=conversation).values_list("kind", flat=True)
    )
    assert kinds == ["resident_left", "closed"]


def test_resident_leaving_an_active_conversation_leaves_it_for_the_professional(
    conversation, professional
):
    actions.claim_conversation(conversation_id=conversation.pk, professional=professional)
    left = actions.mark_resident_left(conversation_id=conversation.pk)
    assert left.status == "active" and left.resident_left_at is not None
    again = actions.mark_resident_left(conversation_id=conversation.pk)  # idempotent
    assert again.events.filter(kind="resident_left").count() == 1
    with pytest.raises(DomainError) as exc:
        actions.post_message(
            conversation_id=conversation.pk, author_kind=ActorKind.RESIDENT, body="x", client_id="z"
        )
    assert exc.value.code == "resident_left"


def test_conversation_events_are_append_only(conversation):
    event = ConversationEvent.objects.create(
        conversation=conversation, kind="created", actor_kind="resident"
    )
    event.payload = {"changed": True}
    with pytest.raises(ValueError):
        event.save()
