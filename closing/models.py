"""Transcript e-mails requested from the resident's end screen."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from conversations.models import Conversation


class TranscriptState(models.TextChoices):
    QUEUED = "queued", _("queued")
    # Claimed by one worker, which is sending it now: nobody else may.
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class TranscriptRequest(models.Model):
    """One "send the conversation to my e-mail".

    `nonce` is the one-time token's own id: a token whose nonce is here was used.
    `recipient` is kept only until delivery ends (sent or given up), then emptied;
    `recipient_digest` (a keyed hash) is what the rate limit per address counts.
    Deleted with the conversation by the retention purge.

    Exactly once: a worker sends only after claiming the request (`queued` →
    `sending`, one UPDATE that only one claimant wins), so a task queued twice
    (the sweep's re-queue, a redelivery after a lost acknowledgement) sends
    nothing the second time. `queued_at` is when the request was last handed to
    the broker (empty: never, e.g. the broker was down); the sweep
    (closing.sweeps.requeue_transcripts) hands it over again. `claimed_at` is
    when the current claim was taken."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="transcript_requests"
    )
    nonce = models.CharField(max_length=32, unique=True)
    recipient = models.EmailField(blank=True)
    recipient_digest = models.CharField(max_length=64, db_index=True)
    language = models.CharField(max_length=2)
    state = models.CharField(
        max_length=10, choices=TranscriptState.choices, default=TranscriptState.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("transcript e-mail")
        verbose_name_plural = _("transcript e-mails")

    def __str__(self) -> str:
        return f"#{self.conversation_id} transcript {self.pk} ({self.state})"
