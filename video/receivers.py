"""What the video app does when the core says something happened."""

from __future__ import annotations

import logging

from conversations.models import ActorKind
from video.actions import end_call
from video.models import EndReason

logger = logging.getLogger(__name__)


def end_call_of_closed_conversation(*, conversation_id: int, **_kwargs) -> None:
    """A closed conversation ends its call (after the closing commit)."""
    try:
        end_call(
            conversation_id=conversation_id,
            actor_kind=ActorKind.SYSTEM,
            reason=EndReason.CONVERSATION_CLOSED,
        )
    except Exception:
        logger.exception("ending the video call of closed conversation %s failed", conversation_id)
