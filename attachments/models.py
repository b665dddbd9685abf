"""Files sent in a conversation after the resident was identified.

The bytes live in `attachments.storage` (outside the web root) under a random
name; the row keeps the cleaned display name. A file is downloadable only once it
is `clean` (scanned); the chat message that shows it is a `conversations.Message`
linked from here, so the core knows nothing of attachments.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from conversations.models import ActorKind, Conversation, Message

NAME_MAX = 100


class AttachmentState(models.TextChoices):
    # Stored, not yet scanned clean: never downloadable.
    QUARANTINED = "quarantined", _("quarantined")
    CLEAN = "clean", _("clean")


class Attachment(models.Model):
    # The id in links: random, so download addresses cannot be enumerated.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="attachments"
    )
    # The chat message that shows it; set when the file is scanned clean.
    message = models.OneToOneField(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="attachment"
    )
    uploaded_by_kind = models.CharField(_("sent by"), max_length=10, choices=ActorKind.choices)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    name = models.CharField(_("file name"), max_length=NAME_MAX)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    # The storage's name for the bytes: random, never derived from the upload.
    storage_name = models.CharField(max_length=200, unique=True)
    sha256 = models.CharField(max_length=64)
    state = models.CharField(
        max_length=12, choices=AttachmentState.choices, default=AttachmentState.QUARANTINED
    )
    created_at = models.DateTimeField(default=timezone.now)
    scanned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return f"attachment {self.public_id} ({self.state})"
