"""The text-message sweep (every SWEEP_INTERVAL_SECONDS: beat in production, the
in-process loop in the embedded setup):

- the second text message: a resident whose page went away during the chat,
  when the professional has written since (notify.selectors.due_after_disconnect_ids);
- notices that never reached the broker (it was down) or whose task was lost
  are handed over again; a claim whose worker died while sending is given up
  (the message may have gone: never twice)."""

from __future__ import annotations

import logging
from datetime import datetime

from django.utils import timezone

from chatservice import handover
from conversations.sweeps import each
from notify import selectors

logger = logging.getLogger(__name__)

# A notice created this recently is being handed over by its own transaction.
REQUEUE_GRACE_SECONDS = 30
# Handed over this long ago and still not taken: the broker lost it (longer than
# the longest retry delay, 2 min, so a waiting retry is not doubled).
REQUEUE_MINUTES = 5
# A claim this old belongs to a worker that died while sending (far beyond
# SMS_HTTP_TIMEOUT_SECONDS): whether it went is unknown, so it is not sent again.
CLAIM_STALE_MINUTES = 10


def notify_after_disconnect(*, now: datetime | None = None) -> int:
    """Queue the second text message where it is due, then re-queue lost ones;
    returns how many were queued. Safe to run any number of times."""
    from notify import actions
    from notify.models import SmsKind

    now = now or timezone.now()
    queued = each(
        selectors.due_after_disconnect_ids(now=now),
        lambda pk: actions.queue_notice(conversation_id=pk, kind=SmsKind.MESSAGE, now=now),
        what="queueing a text message",
    )
    requeue_notices(now=now)
    return queued


def requeue_notices(*, now: datetime | None = None) -> int:
    from notify import actions
    from notify.models import SmsNotice, SmsState

    return handover.requeue(
        model=SmsNotice,
        queued=SmsState.QUEUED,
        sending=SmsState.SENDING,
        hand_over=actions.hand_over,
        give_up=lambda pk: actions.give_up_notice(notice_id=pk, reason="worker lost"),
        grace_seconds=REQUEUE_GRACE_SECONDS,
        requeue_minutes=REQUEUE_MINUTES,
        stale_minutes=CLAIM_STALE_MINUTES,
        what="text messages",
        now=now,
    )
