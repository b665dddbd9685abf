"""Reactions to other apps' signals (connected in NotifyConfig.ready())."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def on_conversation_claimed(sender, *, conversation_id: int, **kwargs) -> None:
    """Text the resident that a professional is ready, when they asked and their
    page is not there. Runs after the claim's commit: a failure here is logged
    and never reaches the professional's claim."""
    from notify import actions

    try:
        actions.notify_claimed(conversation_id=conversation_id)
    except Exception:
        logger.exception("text message after the claim of conversation %s failed", conversation_id)
