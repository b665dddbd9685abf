"""Reads of video calls."""

from __future__ import annotations

from video.models import OPEN_STATES, SIGNALING_STATES, VideoCall


def open_call(*, conversation_id: int) -> VideoCall | None:
    """The conversation's call that is asked for, allowed or in progress (at most one)."""
    return VideoCall.objects.filter(conversation_id=conversation_id, state__in=OPEN_STATES).first()


def relays_signaling(*, conversation_id: int) -> bool:
    """Offers, answers and ICE candidates pass between the parties only while the
    resident has allowed the call and it has not ended."""
    return VideoCall.objects.filter(
        conversation_id=conversation_id, state__in=SIGNALING_STATES
    ).exists()
