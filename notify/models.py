"""Text messages to residents who asked for one ("text me when it's my turn")."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from conversations.models import Conversation


class SmsKind(models.TextChoices):
    # A professional took the conversation while the resident's page was not connected.
    CLAIMED = "claimed", _("a professional is ready")
    # The professional wrote after the resident's page went away during the chat.
    MESSAGE = "message", _("a professional wrote")


class SmsState(models.TextChoices):
    QUEUED = "queued", _("queued")
    # Claimed by one worker, which is sending it now: nobody else may.
    SENDING = "sending", _("sending now")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class SmsNotice(models.Model):
    """One text message to the resident of a conversation.

    Never holds the phone number: the task reads it from the conversation when
    it sends, and `number_digest` (a keyed hash) is what the daily limit per
    number counts. At most one of each kind per conversation (the constraint),
    so a conversation gets at most two. Deleted with the conversation by the
    retention purge.

    Exactly once, as closing.TranscriptRequest: a worker sends only after
    claiming the notice (`queued` → `sending` in one UPDATE), so a task queued
    twice sends once."""

    conversation = models.ForeignKey(
        Conversation,
        on_delete=models.CASCADE,
        related_name="sms_notices",
        verbose_name=_("conversation"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=SmsKind.choices)
    state = models.CharField(
        _("state"), max_length=10, choices=SmsState.choices, default=SmsState.QUEUED
    )
    number_digest = models.CharField(max_length=64, db_index=True, editable=False)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    queued_at = models.DateTimeField(_("handed to the queue"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("sending since"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("text message")
        verbose_name_plural = _("text messages")
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "kind"], name="sms_notice_once_per_kind"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.conversation_id} {self.kind} ({self.state})"
