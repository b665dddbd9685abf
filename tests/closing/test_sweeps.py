"""Idle conversations are flagged to their professional once per idle stretch;
waiting conversations whose resident is gone close as abandoned. Frozen clock:
every sweep takes `now`."""

from datetime import timedelta

import pytest
from django.utils import timezone

from chatservice.background import jobs
from closing import sweeps
from conversations.actions import post_message
from conversations.models import (
    ActorKind,
    Conversation,
    ConversationEvent,
    ConversationStatistic,
    EventKind,
    StatisticOutcome,
)
from tests.closing.conftest import served_conversation
from tests.factories import ConversationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def active(settings):
    settings.CONVERSATION_IDLE_FLAG_MINUTES = 15
    return served_conversation(close=False)


def last_message_time(conversation):
    return conversation.messages.order_by("-seq").first().created_at


def test_flagged_once_after_the_idle_time(active, events, django_capture_on_commit_callbacks):
    quiet_since = last_message_time(active)
    assert sweeps.flag_idle_conversations(now=quiet_since + timedelta(minutes=14, seconds=59)) == 0
    at = quiet_since + timedelta(minutes=15)
    assert sweeps.flag_idle_conversations(now=at) == 1
    active.refresh_from_db()
    assert active.idle_flagged_at == at
    event = ConversationEvent.objects.get(conversation=active, kind=EventKind.IDLE_FLAGGED)
    assert event.actor_kind == ActorKind.SYSTEM
    assert [e.change for e in events if getattr(e, "change", None)] == [EventKind.IDLE_FLAGGED]
    # Not again while it stays idle.
    assert sweeps.flag_idle_conversations(now=at + timedelta(hours=2)) == 0


def test_a_new_message_starts_a_new_idle_stretch(active):
    # The chat went quiet an hour ago and was flagged 40 minutes ago.
    start = timezone.now() - timedelta(hours=1)
    Conversation.objects.filter(pk=active.pk).update(claimed_at=start, created_at=start)
    active.messages.update(created_at=start)
    sweeps.flag_idle_conversations(now=start + timedelta(minutes=20))
    post_message(
        conversation_id=active.pk, author_kind=ActorKind.RESIDENT, body="Hallå?", client_id="r9"
    )
    new = last_message_time(active)
    assert sweeps.flag_idle_conversations(now=new + timedelta(minutes=10)) == 0
    assert sweeps.flag_idle_conversations(now=new + timedelta(minutes=15)) == 1
    assert ConversationEvent.objects.filter(kind=EventKind.IDLE_FLAGGED).count() == 2


def test_waiting_and_closed_conversations_are_not_flagged(settings):
    settings.CONVERSATION_IDLE_FLAG_MINUTES = 15
    ConversationFactory()
    served_conversation()
    assert sweeps.flag_idle_conversations(now=timezone.now() + timedelta(days=1)) == 0


def test_gone_waiting_resident_is_closed_as_abandoned_with_statistics(settings):
    """The existing abandonment sweep (conversations.sweeps) is reused; closing
    it writes the anonymous statistics row too."""
    from conversations.sweeps import abandon_ghost_residents

    settings.RESIDENT_GONE_GRACE_SECONDS = 120
    waiting = ConversationFactory()
    gone = timezone.now()
    Conversation.objects.filter(pk=waiting.pk).update(resident_disconnected_at=gone)
    assert abandon_ghost_residents(now=gone + timedelta(seconds=119)) == 0
    assert abandon_ghost_residents(now=gone + timedelta(seconds=121)) == 1
    statistic = ConversationStatistic.objects.get(conversation=waiting)
    assert statistic.outcome == StatisticOutcome.ABANDONED
    assert statistic.wait_seconds is None and statistic.professional is None


def test_the_in_process_loop_runs_the_new_sweeps(settings):
    settings.RUN_SWEEPS_IN_PROCESS = True
    names = {job.name for job in jobs()}
    assert {"flag idle conversations", "retention purge"} <= names
    settings.RUN_SWEEPS_IN_PROCESS = False
    assert not {"flag idle conversations", "retention purge"} & {job.name for job in jobs()}
