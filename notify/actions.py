"""Writes for text messages: record and queue one, deliver it exactly once, give up.

Timeline rows (SMS_QUEUED / SMS_SENT / SMS_FAILED) carry the notice's id and
kind, never the number; neither do the logs. The text is the service's name and
a link back to the chat: no names, nothing of the matter or the messages."""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from chatservice import handover
from conversations.models import (
    ActorKind,
    Conversation,
    ConversationEvent,
    ConversationStatus,
    EventKind,
)
from notify import selectors
from notify.gateways import SmsError, SmsRejected, get_gateway, sms_enabled
from notify.models import SmsKind, SmsNotice, SmsState

logger = logging.getLogger(__name__)


def number_digest(number: str) -> str:
    """A keyed hash of the (E.164) number: what the daily limit per number counts."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, b"sms:" + number.strip().encode(), hashlib.sha256).hexdigest()


def chat_link(language: str) -> str:
    """The absolute address of the resident's chat page, in their language."""
    with translation.override(language):
        return settings.PUBLIC_BASE_URL + reverse("customers:chat")


def message_text(conversation: Conversation, kind: str) -> str:
    with translation.override(conversation.language):
        service = conversation.service.name(conversation.language)
        link = chat_link(conversation.language)
        if kind == SmsKind.CLAIMED:
            text = gettext(
                "%(service)s: a professional is ready to chat with you. "
                "Return to the chat: %(link)s"
            )
        else:
            text = gettext(
                "%(service)s: a professional has written to you in the chat. "
                "Return to the chat: %(link)s"
            )
        return text % {"service": service, "link": link}


def _event(conversation_id: int, kind: EventKind, notice: SmsNotice, **extra: str) -> None:
    ConversationEvent.objects.create(
        conversation_id=conversation_id,
        kind=kind,
        actor_kind=ActorKind.SYSTEM,
        payload={"notice": notice.pk, "kind": notice.kind, **extra},
    )


def _why_not(conversation: Conversation | None, kind: SmsKind, now: datetime) -> str:
    """Why this conversation gets no text message of this kind now ('' : it does)."""
    if conversation is None:
        return "gone"
    if not (sms_enabled() and conversation.sms_wanted):
        return "not wanted"
    if conversation.status != ConversationStatus.ACTIVE or conversation.resident_left_at:
        return "not active"
    if kind == SmsKind.CLAIMED and selectors.resident_connected(conversation, now=now):
        return "page connected"
    if kind == SmsKind.MESSAGE and conversation.resident_disconnected_at is None:
        return "page connected"
    if SmsNotice.objects.filter(conversation=conversation, kind=kind).exists():
        return "already sent"
    return ""


@transaction.atomic
def queue_notice(
    *, conversation_id: int, kind: SmsKind, now: datetime | None = None
) -> SmsNotice | None:
    """Record one text message and queue it after commit, when the resident
    asked for it, the chat is active, their page is not connected, this kind has
    not gone to this conversation yet and the number's daily limit allows.
    Checked under the conversation's row lock: two callers queue one."""
    now = now or timezone.now()
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("service")
        .filter(pk=conversation_id)
        .first()
    )
    reason = _why_not(conversation, kind, now)
    if conversation is None or reason:
        return None
    digest = number_digest(conversation.resident_phone)
    sent = selectors.notices_to_number_since(digest, now - timedelta(days=1))
    if sent >= settings.SMS_MAX_PER_NUMBER_PER_DAY:
        logger.warning(
            "text message for conversation %s not sent: the number's daily limit", conversation_id
        )
        return None
    notice = SmsNotice.objects.create(
        conversation=conversation, kind=kind, number_digest=digest, created_at=now
    )
    _event(conversation.pk, EventKind.SMS_QUEUED, notice)
    transaction.on_commit(lambda: queue_sms(notice.pk))
    return notice


def notify_claimed(*, conversation_id: int) -> SmsNotice | None:
    """A professional took the conversation (conversation_claimed)."""
    return queue_notice(conversation_id=conversation_id, kind=SmsKind.CLAIMED)


BrokerUnavailable = handover.BrokerUnavailable


def queue_sms(notice_id: int) -> bool:
    """Hand the notice to Celery; a broker that is down is logged and the sweep
    (notify.sweeps) hands it over later. Twice is harmless: one task claims it."""
    try:
        hand_over(notice_id)
    except BrokerUnavailable as exc:
        logger.warning("queueing text message %s failed (%s)", notice_id, exc)
        return False
    return True


def hand_over(notice_id: int, *, now: datetime | None = None) -> None:
    from notify.tasks import send_sms

    handover.hand_over(send_sms, notice_id, model=SmsNotice, queued=SmsState.QUEUED, now=now)


class RetrySms(Exception):
    """Sending failed and may be tried again later (the claim was released)."""

    def __init__(self, attempts: int) -> None:
        super().__init__(f"attempt {attempts} failed")
        self.attempts = attempts


def claim_notice(*, notice_id: int, now: datetime | None = None) -> SmsNotice | None:
    """`queued` → `sending` in one UPDATE, which only one claimant wins."""
    now = now or timezone.now()
    claimed = SmsNotice.objects.filter(pk=notice_id, state=SmsState.QUEUED).update(
        state=SmsState.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    return SmsNotice.objects.get(pk=notice_id)


def deliver_notice(*, notice_id: int, max_attempts: int | None = None) -> str:
    """Claim and send one queued text message, exactly once.

    Returns "sent", "nothing" (a duplicate task), "cancelled" (the chat ended
    meanwhile) or "failed" (refused, or the last attempt failed). Raises
    RetrySms when it may be tried again: the claim is released (`queued`)."""
    notice = claim_notice(notice_id=notice_id)
    if notice is None:
        return "nothing"
    conversation = Conversation.objects.select_related("service").get(pk=notice.conversation_id)
    if conversation.status != ConversationStatus.ACTIVE or conversation.resident_left_at:
        give_up_notice(notice_id=notice_id, reason="ended")
        return "cancelled"
    try:
        get_gateway().send(
            to=conversation.resident_phone, text=message_text(conversation, notice.kind)
        )
    except SmsRejected as exc:
        give_up_notice(notice_id=notice_id, reason="refused")
        logger.warning("text message %s refused: %s", notice_id, exc)
        return "failed"
    except SmsError as exc:
        logger.warning("text message %s: attempt %s failed: %s", notice_id, notice.attempts, exc)
        if max_attempts is not None and notice.attempts >= max_attempts:
            give_up_notice(notice_id=notice_id, reason="unreachable")
            return "failed"
        SmsNotice.objects.filter(pk=notice_id, state=SmsState.SENDING).update(
            state=SmsState.QUEUED, claimed_at=None, queued_at=timezone.now()
        )
        raise RetrySms(notice.attempts) from None
    _finish(notice_id, SmsState.SENT, EventKind.SMS_SENT)
    logger.info("text message %s sent", notice_id)
    return "sent"


def give_up_notice(*, notice_id: int, reason: str) -> bool:
    """Delivery failed for good (or the chat ended first): record it."""
    done = _finish(notice_id, SmsState.FAILED, EventKind.SMS_FAILED, reason=reason)
    if done:
        logger.warning("text message %s not sent (%s)", notice_id, reason)
    return done


@transaction.atomic
def _finish(notice_id: int, state: SmsState, kind: EventKind, **extra: str) -> bool:
    notice = (
        SmsNotice.objects.select_for_update()
        .filter(pk=notice_id, state__in=(SmsState.QUEUED, SmsState.SENDING))
        .first()
    )
    if notice is None:
        return False
    notice.state = state
    notice.finished_at = timezone.now()
    notice.save(update_fields=["state", "finished_at"])
    _event(notice.conversation_id, kind, notice, **extra)
    return True
