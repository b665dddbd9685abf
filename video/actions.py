"""Every write of a video call. Each change appends a timeline row in its
transaction (EventKind.VIDEO_*) and is announced after the commit as a
`conversation.changed` (through conversations.actions.announce_change).

Locks: the conversation row first, then its calls (one order everywhere).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import transaction
from django.utils import timezone

from conversations import realtime
from conversations.actions import announce_change, record
from conversations.models import ActorKind, Conversation, ConversationStatus, EventKind
from video.errors import VideoError
from video.events import VideoChanged, VideoSignalSent
from video.models import OPEN_STATES, SIGNALING_STATES, CallState, EndReason, VideoCall

logger = logging.getLogger(__name__)


def _locked_conversation(conversation_id: int) -> Conversation:
    try:
        return (
            Conversation.objects.select_for_update(of=("self",))
            .select_related("assigned_to")
            .get(pk=conversation_id)
        )
    except Conversation.DoesNotExist:
        raise VideoError("not_assigned") from None


def _locked_open_call(conversation: Conversation) -> VideoCall | None:
    return (
        VideoCall.objects.select_for_update()
        .filter(conversation=conversation, state__in=OPEN_STATES)
        .first()
    )


def _note(
    conversation: Conversation,
    call: VideoCall,
    kind: EventKind,
    *,
    actor_kind: ActorKind,
    actor=None,
    **payload,
) -> None:
    event = record(
        conversation, kind, actor_kind=actor_kind, actor=actor, payload={"call": call.pk, **payload}
    )
    announce_change(conversation, event)
    realtime.publish(VideoChanged.of(call))


@transaction.atomic
def request_call(
    *, conversation_id: int, professional: AbstractUser, now: datetime | None = None
) -> VideoCall:
    """The assigned professional of an active conversation asks to switch to video.
    The resident has VIDEO_ANSWER_SECONDS to allow or decline."""
    now = now or timezone.now()
    conversation = _locked_conversation(conversation_id)
    if conversation.status == ConversationStatus.CLOSED:
        raise VideoError("conversation_closed")
    if (
        conversation.status != ConversationStatus.ACTIVE
        or conversation.assigned_to_id != professional.pk
    ):
        raise VideoError("not_assigned")
    if _locked_open_call(conversation) is not None:
        raise VideoError("call_open")
    call = VideoCall.objects.create(
        conversation=conversation,
        requested_by_id=professional.pk,
        requested_at=now,
        expires_at=now + timedelta(seconds=settings.VIDEO_ANSWER_SECONDS),
    )
    _note(
        conversation,
        call,
        EventKind.VIDEO_REQUESTED,
        actor_kind=ActorKind.STAFF,
        actor=professional,
    )
    return call


def answer_call(*, conversation_id: int, allow: bool, now: datetime | None = None) -> VideoCall:
    """The resident allows or declines the asked call. The caller has checked that
    this is the conversation's resident (their own session). An answer after the
    time expires the request (kept) and is refused."""
    now = now or timezone.now()
    with transaction.atomic():
        conversation = _locked_conversation(conversation_id)
        if conversation.status != ConversationStatus.ACTIVE:
            raise VideoError("conversation_closed")
        call = _locked_open_call(conversation)
        if call is None or call.state != CallState.REQUESTED:
            raise VideoError("no_call")
        late = now >= call.expires_at
        if late:
            _expire(conversation, call, now)
        else:
            call.state = CallState.ACCEPTED if allow else CallState.DECLINED
            call.answered_at = now
            call.save(update_fields=["state", "answered_at"])
            _note(
                conversation,
                call,
                EventKind.VIDEO_ACCEPTED if allow else EventKind.VIDEO_DECLINED,
                actor_kind=ActorKind.RESIDENT,
            )
    if late:
        raise VideoError("no_call")
    return call


@transaction.atomic
def join_call(
    *, conversation_id: int, actor_kind: ActorKind, now: datetime | None = None
) -> VideoCall:
    """A party joins the allowed call (the resident presses the green camera): the
    first join makes it active. Joining again (a reload) changes no state; either
    way the other party hears `joined`, so that a connection to a page that is
    gone is started afresh."""
    now = now or timezone.now()
    conversation = _locked_conversation(conversation_id)
    call = _locked_open_call(conversation)
    if call is None or call.state == CallState.REQUESTED:
        raise VideoError("not_consented")
    if call.state == CallState.ACCEPTED:
        call.state = CallState.ACTIVE
        call.started_at = now
        call.save(update_fields=["state", "started_at"])
        _note(conversation, call, EventKind.VIDEO_STARTED, actor_kind=actor_kind)
    realtime.publish(
        VideoSignalSent(
            conversation=conversation_id,
            call=call.pk,
            sender=str(actor_kind),
            kind="joined",
            sdp=None,
            candidate=None,
        )
    )
    return call


def _end(
    conversation: Conversation,
    call: VideoCall,
    *,
    actor_kind: ActorKind,
    actor=None,
    reason: EndReason,
    now: datetime,
) -> None:
    call.state = CallState.ENDED
    call.ended_at = now
    call.ended_by = actor_kind
    call.end_reason = reason
    call.save(update_fields=["state", "ended_at", "ended_by", "end_reason"])
    seconds = int((now - call.started_at).total_seconds()) if call.started_at else 0
    _note(
        conversation,
        call,
        EventKind.VIDEO_ENDED,
        actor_kind=actor_kind,
        actor=actor,
        reason=str(reason),
        seconds=seconds,
    )


@transaction.atomic
def end_call(
    *,
    conversation_id: int,
    actor_kind: ActorKind,
    actor=None,
    reason: EndReason = EndReason.HANGUP,
    now: datetime | None = None,
) -> VideoCall | None:
    """Either party hangs up (or withdraws the request): the open call ends. None
    when there was none (hanging up twice is harmless)."""
    now = now or timezone.now()
    conversation = _locked_conversation(conversation_id)
    call = _locked_open_call(conversation)
    if call is None:
        return None
    _end(conversation, call, actor_kind=actor_kind, actor=actor, reason=reason, now=now)
    return call


def _expire(conversation: Conversation, call: VideoCall, now: datetime) -> None:
    call.state = CallState.EXPIRED
    call.save(update_fields=["state"])
    _note(conversation, call, EventKind.VIDEO_EXPIRED, actor_kind=ActorKind.SYSTEM)


def expire_requests(*, now: datetime | None = None) -> int:
    """The periodic sweep: requests nobody answered in time expire (the professional
    sees it and may ask again). One failing row is logged and the rest go on."""
    now = now or timezone.now()
    done = 0
    pending = VideoCall.objects.filter(state=CallState.REQUESTED, expires_at__lte=now)
    for conversation_id in list(pending.values_list("conversation_id", flat=True)):
        try:
            with transaction.atomic():
                conversation = _locked_conversation(conversation_id)
                call = _locked_open_call(conversation)
                if call and call.state == CallState.REQUESTED and call.expires_at <= now:
                    _expire(conversation, call, now)
                    done += 1
        except Exception:
            logger.exception(
                "expiring the video request of conversation %s failed", conversation_id
            )
    return done


def relay_signal(
    *,
    conversation_id: int,
    sender: ActorKind,
    kind: str,
    sdp: str | None,
    candidate: dict[str, Any] | None,
) -> None:
    """Pass an offer, answer or ICE candidate to the other party: only while the
    resident has allowed the call and it has not ended. Nothing is stored."""
    call = (
        VideoCall.objects.filter(conversation_id=conversation_id, state__in=SIGNALING_STATES)
        .only("pk", "conversation_id")
        .first()
    )
    if call is None:
        raise VideoError("not_consented")
    realtime.publish(
        VideoSignalSent(
            conversation=conversation_id,
            call=call.pk,
            sender=str(sender),
            kind=kind,
            sdp=sdp,
            candidate=candidate,
        )
    )
