"""Video calls: one row per attempt, written only through `video.actions`.

requested → accepted | declined | expired → active → ended. Only the assigned
professional requests; only the conversation's resident accepts or declines;
one open call per conversation. Nothing of the media passes the server and
nothing is recorded: these rows are the call's whole trace.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from conversations.models import ActorKind, Conversation


class CallState(models.TextChoices):
    REQUESTED = "requested", _("asked")
    ACCEPTED = "accepted", _("allowed")
    DECLINED = "declined", _("declined")
    EXPIRED = "expired", _("not answered")
    ACTIVE = "active", _("in progress")
    ENDED = "ended", _("ended")


# A call in one of these holds the conversation's one place for a call.
OPEN_STATES = (CallState.REQUESTED, CallState.ACCEPTED, CallState.ACTIVE)
# Signaling is relayed only while the resident has consented.
SIGNALING_STATES = (CallState.ACCEPTED, CallState.ACTIVE)


class EndReason(models.TextChoices):
    HANGUP = "hangup", _("hung up")
    CONVERSATION_CLOSED = "conversation_closed", _("the conversation ended")
    RESIDENT_LEFT = "resident_left", _("the resident left")


class VideoCall(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="video_calls"
    )
    state = models.CharField(
        _("state"), max_length=10, choices=CallState.choices, default=CallState.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("asked by"),
    )
    requested_at = models.DateTimeField(_("asked"), default=timezone.now)
    expires_at = models.DateTimeField(_("answer due by"))
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    ended_by = models.CharField(_("ended by"), max_length=10, choices=ActorKind.choices, blank=True)
    end_reason = models.CharField(
        _("why it ended"), max_length=20, choices=EndReason.choices, blank=True
    )

    class Meta:
        ordering = ["requested_at", "id"]
        verbose_name = _("video call")
        verbose_name_plural = _("video calls")
        constraints = [
            models.UniqueConstraint(
                fields=["conversation"],
                condition=Q(state__in=["requested", "accepted", "active"]),
                name="one_open_video_call_per_conversation",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.conversation_id} video {self.pk} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def relays_signaling(self) -> bool:
        return self.state in SIGNALING_STATES
