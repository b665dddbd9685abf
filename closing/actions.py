"""Writes after a conversation closes: transcript requests and their delivery,
and the retention purge. Timeline rows go to the conversation's events; no
e-mail address is ever written there or in the logs."""

from __future__ import annotations

import hashlib
import hmac
import logging
import shutil
import smtplib
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from chatservice import handover
from closing.errors import ClosingError
from closing.models import TranscriptRequest, TranscriptState
from closing.tokens import read_transcript_token
from conversations.models import (
    ActorKind,
    Conversation,
    ConversationEvent,
    ConversationStatus,
    EventKind,
)

logger = logging.getLogger(__name__)

EMAIL_MAX = 254


def address_digest(email: str) -> str:
    """A keyed hash of the normalised address: what the rate limit counts."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()


def transcript_deadline(conversation: Conversation) -> datetime | None:
    if conversation.closed_at is None:
        return None
    return conversation.closed_at + timedelta(minutes=settings.TRANSCRIPT_LINK_MINUTES)


def transcripts_left(conversation: Conversation) -> int:
    used = TranscriptRequest.objects.filter(conversation=conversation).count()
    return max(0, settings.TRANSCRIPT_MAX_PER_CONVERSATION - used)


def _event(conversation_id: int, kind: EventKind, request_id: int) -> None:
    ConversationEvent.objects.create(
        conversation_id=conversation_id,
        kind=kind,
        actor_kind=ActorKind.SYSTEM if kind != EventKind.TRANSCRIPT_QUEUED else ActorKind.RESIDENT,
        payload={"request": request_id},
    )


@transaction.atomic
def request_transcript(
    *, conversation_id: int, token: str, email: str, now: datetime | None = None
) -> TranscriptRequest:
    """The resident asks for the conversation by e-mail from the end screen.

    Checks, in order: the one-time token belongs to this conversation; the
    conversation has ended, its service sends transcripts and the possibility
    has not expired; the token is unused; the address is valid; the limits per
    conversation and per address are not reached. Queues the e-mail after commit."""
    now = now or timezone.now()
    token_conversation, nonce = read_transcript_token(token)
    if token_conversation != conversation_id:
        raise ClosingError("invalid_token")
    try:
        conversation = (
            Conversation.objects.select_for_update(of=("self",))
            .select_related("service")
            .get(pk=conversation_id)
        )
    except Conversation.DoesNotExist:
        raise ClosingError("invalid_token") from None
    if conversation.status != ConversationStatus.CLOSED:
        raise ClosingError("conversation_open")
    if not conversation.service.transcripts_enabled:
        raise ClosingError("transcripts_off")
    deadline = transcript_deadline(conversation)
    if deadline is None or now > deadline:
        raise ClosingError("link_expired")
    if TranscriptRequest.objects.filter(nonce=nonce).exists():
        raise ClosingError("token_used")
    email = (email or "").strip()
    try:
        if len(email) > EMAIL_MAX:
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError:
        raise ClosingError("invalid_email") from None
    if conversation.last_seq == 0:
        raise ClosingError("nothing_to_send")
    digest = address_digest(email)
    if transcripts_left(conversation) <= 0:
        raise ClosingError("rate_limited")
    recent = TranscriptRequest.objects.filter(
        recipient_digest=digest, created_at__gte=now - timedelta(days=1)
    ).count()
    if recent >= settings.TRANSCRIPT_MAX_PER_ADDRESS_PER_DAY:
        raise ClosingError("rate_limited")
    request = TranscriptRequest.objects.create(
        conversation=conversation,
        nonce=nonce,
        recipient=email,
        recipient_digest=digest,
        language=conversation.language,
        created_at=now,
    )
    _event(conversation.pk, EventKind.TRANSCRIPT_QUEUED, request.pk)
    transaction.on_commit(lambda: queue_transcript(request.pk))
    return request


BrokerUnavailable = handover.BrokerUnavailable


def queue_transcript(request_id: int) -> bool:
    """Hand the request to Celery. A broker that is down is logged (without the
    address); the request stays queued with `queued_at` empty and the sweep
    (closing.sweeps.requeue_transcripts) hands it over once the broker is back.
    Handing it over twice is harmless: only one task can claim it."""
    try:
        hand_over(request_id)
    except BrokerUnavailable as exc:
        logger.warning("queueing transcript request %s failed (%s)", request_id, exc)
        return False
    return True


def hand_over(request_id: int, *, now: datetime | None = None) -> None:
    from closing.tasks import send_transcript

    handover.hand_over(
        send_transcript, request_id, model=TranscriptRequest, queued=TranscriptState.QUEUED, now=now
    )


class RetryTranscript(Exception):
    """Sending failed and may be tried again later (the claim was released)."""

    def __init__(self, attempts: int) -> None:
        super().__init__(f"attempt {attempts} failed")
        self.attempts = attempts


def claim_transcript(*, request_id: int, now: datetime | None = None) -> TranscriptRequest | None:
    """Take the request for sending: `queued` → `sending` in one UPDATE, which
    only one claimant can win; None when it is not (any more) waiting to be sent."""
    now = now or timezone.now()
    claimed = TranscriptRequest.objects.filter(pk=request_id, state=TranscriptState.QUEUED).update(
        state=TranscriptState.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    return TranscriptRequest.objects.get(pk=request_id)


def deliver_transcript(*, request_id: int, max_attempts: int | None = None) -> str:
    """Claim, render and send one queued transcript, exactly once.

    Returns "sent", "nothing" (another task has it or had it: a duplicate), or
    "failed" (SMTP failed and this was the last attempt). Raises
    RetryTranscript when SMTP failed and it may be tried again: the claim is
    released (`queued`), so that a retry or the sweep can take it."""
    from closing.transcript import render_transcript

    request = claim_transcript(request_id=request_id)
    if request is None:
        return "nothing"
    try:
        conversation = Conversation.objects.select_related("service").get(
            pk=request.conversation_id
        )
        subject, text, html = render_transcript(conversation)
        message = EmailMultiAlternatives(
            subject=subject,
            body=text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[request.recipient],
        )
        message.attach_alternative(html, "text/html")
        message.send()
    except (smtplib.SMTPException, OSError):
        if max_attempts is not None and request.attempts >= max_attempts:
            give_up_transcript(request_id=request_id)
            return "failed"
        # Released: the task's own retry is the next hand-over (hence queued_at).
        TranscriptRequest.objects.filter(pk=request_id, state=TranscriptState.SENDING).update(
            state=TranscriptState.QUEUED, claimed_at=None, queued_at=timezone.now()
        )
        raise RetryTranscript(request.attempts) from None
    _finish(request_id, TranscriptState.SENT, EventKind.TRANSCRIPT_SENT)
    logger.info("transcript request %s sent", request_id)
    return "sent"


def give_up_transcript(*, request_id: int) -> bool:
    """Delivery failed for good: record it and forget the address."""
    done = _finish(request_id, TranscriptState.FAILED, EventKind.TRANSCRIPT_FAILED)
    if done:
        logger.warning("transcript request %s could not be sent", request_id)
    return done


@transaction.atomic
def _finish(request_id: int, state: TranscriptState, kind: EventKind) -> bool:
    request = (
        TranscriptRequest.objects.select_for_update()
        .filter(pk=request_id, state__in=(TranscriptState.QUEUED, TranscriptState.SENDING))
        .first()
    )
    if request is None:
        return False
    request.state = state
    request.recipient = ""  # delivery is over: the address is not kept
    request.finished_at = timezone.now()
    request.save(update_fields=["state", "recipient", "finished_at"])
    _event(request.conversation_id, kind, request.pk)
    return True


# --- retention ------------------------------------------------------------------


def attachment_dir(conversation_id: int) -> Path:
    """The folder of a conversation's uploaded files on local disk (outside the
    web root; attachments.storage.new_storage_name)."""
    root = getattr(settings, "ATTACHMENT_ROOT", Path(settings.MEDIA_ROOT) / "attachments")
    return Path(root) / str(conversation_id)


@transaction.atomic
def purge_conversation(*, conversation_id: int, cutoff_by_service: dict[int, datetime]) -> bool:
    """Delete one closed conversation past its service's retention period, with
    everything it holds (messages, notes, timeline, identity data, transcript
    requests, connection rows; its files after commit). Its statistics row stays,
    without the link. Re-checked under the lock: returns False if it no longer
    qualifies."""
    conversation = (
        Conversation.objects.select_for_update(of=("self",)).filter(pk=conversation_id).first()
    )
    if conversation is None or conversation.status != ConversationStatus.CLOSED:
        return False
    cutoff = cutoff_by_service.get(conversation.service_id)
    if cutoff is None or conversation.closed_at is None or conversation.closed_at >= cutoff:
        return False
    from attachments.actions import delete_for_conversation

    # The files through the attachments app's storage (local disk or an object
    # store), after commit; then whatever is left in the folder on local disk.
    delete_for_conversation(conversation.pk)
    folder = attachment_dir(conversation.pk)
    conversation.delete()
    transaction.on_commit(lambda: shutil.rmtree(folder, ignore_errors=True))
    return True
