"""The call's rules: requested → accepted | declined | expired → active → ended,
each change on the conversation's timeline and announced."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conversations import actions as chat_actions
from conversations.models import ActorKind, ConversationEvent, ConversationStatus, EventKind
from tests.factories import UserFactory
from video import actions, selectors
from video.errors import VideoError
from video.models import CallState, EndReason, VideoCall

pytestmark = pytest.mark.django_db


def kinds(conversation) -> list[str]:
    return list(
        ConversationEvent.objects.filter(conversation=conversation, kind__startswith="video_")
        .order_by("id")
        .values_list("kind", flat=True)
    )


def test_the_whole_call_is_on_the_timeline_and_announced(
    conversation, professional, published, django_capture_on_commit_callbacks
):
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        call = actions.request_call(
            conversation_id=conversation.pk, professional=professional, now=now
        )
        assert not selectors.relays_signaling(conversation_id=conversation.pk)
        actions.answer_call(conversation_id=conversation.pk, allow=True, now=now)
        assert selectors.relays_signaling(conversation_id=conversation.pk)
        actions.join_call(conversation_id=conversation.pk, actor_kind=ActorKind.RESIDENT, now=now)
        actions.join_call(conversation_id=conversation.pk, actor_kind=ActorKind.STAFF, now=now)
        actions.end_call(
            conversation_id=conversation.pk,
            actor_kind=ActorKind.STAFF,
            actor=professional,
            now=now + timedelta(seconds=95),
        )

    call.refresh_from_db()
    assert call.state == CallState.ENDED
    assert (call.ended_by, call.end_reason) == (ActorKind.STAFF, EndReason.HANGUP)
    assert call.started_at == now and call.ended_at == now + timedelta(seconds=95)
    assert kinds(conversation) == [
        EventKind.VIDEO_REQUESTED,
        EventKind.VIDEO_ACCEPTED,
        EventKind.VIDEO_STARTED,
        EventKind.VIDEO_ENDED,
    ]
    ended = ConversationEvent.objects.get(conversation=conversation, kind=EventKind.VIDEO_ENDED)
    assert ended.payload == {"call": call.pk, "reason": "hangup", "seconds": 95}
    changes = [e.change for e in published if e.type == "conversation.changed"]
    assert changes == kinds(conversation)
    assert not selectors.relays_signaling(conversation_id=conversation.pk)


def test_only_the_assigned_professional_of_an_active_conversation_asks(conversation):
    with pytest.raises(VideoError) as refused:
        actions.request_call(conversation_id=conversation.pk, professional=UserFactory())
    assert refused.value.code == "not_assigned"
    conversation.status = ConversationStatus.CLOSED
    conversation.save()
    with pytest.raises(VideoError) as closed:
        actions.request_call(conversation_id=conversation.pk, professional=conversation.assigned_to)
    assert closed.value.code == "conversation_closed"
    assert not VideoCall.objects.exists()


def test_one_call_at_a_time(conversation, professional):
    actions.request_call(conversation_id=conversation.pk, professional=professional)
    with pytest.raises(VideoError) as refused:
        actions.request_call(conversation_id=conversation.pk, professional=professional)
    assert refused.value.code == "call_open"
    actions.end_call(conversation_id=conversation.pk, actor_kind=ActorKind.STAFF)
    actions.request_call(conversation_id=conversation.pk, professional=professional)
    assert VideoCall.objects.filter(conversation=conversation).count() == 2


def test_the_resident_declines_and_nothing_is_relayed(conversation, professional):
    actions.request_call(conversation_id=conversation.pk, professional=professional)
    call = actions.answer_call(conversation_id=conversation.pk, allow=False)
    assert call.state == CallState.DECLINED
    assert not selectors.relays_signaling(conversation_id=conversation.pk)
    with pytest.raises(VideoError) as joining:
        actions.join_call(conversation_id=conversation.pk, actor_kind=ActorKind.RESIDENT)
    assert joining.value.code == "not_consented"
    assert kinds(conversation) == [EventKind.VIDEO_REQUESTED, EventKind.VIDEO_DECLINED]


def test_nobody_joins_before_the_resident_allowed(conversation, professional):
    actions.request_call(conversation_id=conversation.pk, professional=professional)
    with pytest.raises(VideoError) as refused:
        actions.join_call(conversation_id=conversation.pk, actor_kind=ActorKind.STAFF)
    assert refused.value.code == "not_consented"


def test_answering_without_a_request_is_refused(conversation):
    with pytest.raises(VideoError) as refused:
        actions.answer_call(conversation_id=conversation.pk, allow=True)
    assert refused.value.code == "no_call"


def test_an_unanswered_request_expires_and_may_be_asked_again(conversation, professional):
    now = timezone.now()
    actions.request_call(conversation_id=conversation.pk, professional=professional, now=now)
    assert actions.expire_requests(now=now + timedelta(seconds=119)) == 0
    assert actions.expire_requests(now=now + timedelta(seconds=120)) == 1
    assert VideoCall.objects.get().state == CallState.EXPIRED
    with pytest.raises(VideoError):
        actions.answer_call(conversation_id=conversation.pk, allow=True)
    actions.request_call(conversation_id=conversation.pk, professional=professional)
    assert kinds(conversation) == [
        EventKind.VIDEO_REQUESTED,
        EventKind.VIDEO_EXPIRED,
        EventKind.VIDEO_REQUESTED,
    ]


def test_a_late_answer_expires_the_request(conversation, professional):
    now = timezone.now()
    actions.request_call(conversation_id=conversation.pk, professional=professional, now=now)
    with pytest.raises(VideoError) as refused:
        actions.answer_call(
            conversation_id=conversation.pk, allow=True, now=now + timedelta(minutes=3)
        )
    assert refused.value.code == "no_call"
    assert VideoCall.objects.get().state == CallState.EXPIRED


def test_hanging_up_twice_is_harmless(conversation, professional):
    actions.request_call(conversation_id=conversation.pk, professional=professional)
    assert actions.end_call(conversation_id=conversation.pk, actor_kind=ActorKind.RESIDENT)
    assert actions.end_call(conversation_id=conversation.pk, actor_kind=ActorKind.RESIDENT) is None
    assert kinds(conversation).count(EventKind.VIDEO_ENDED) == 1


def test_a_closing_conversation_ends_its_call(
    conversation, professional, django_capture_on_commit_callbacks
):
    actions.request_call(conversation_id=conversation.pk, professional=professional)
    actions.answer_call(conversation_id=conversation.pk, allow=True)
    with django_capture_on_commit_callbacks(execute=True):
        chat_actions.close_by_professional(
            conversation_id=conversation.pk, professional=professional, reason="guidance-given"
        )
    call = VideoCall.objects.get()
    assert (call.state, call.ended_by, call.end_reason) == (
        CallState.ENDED,
        ActorKind.SYSTEM,
        EndReason.CONVERSATION_CLOSED,
    )
