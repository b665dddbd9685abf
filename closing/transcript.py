"""The resident's copy of a conversation, as e-mailed.

In the resident's language: their messages and the professional's with times
(professionals by first name or by the service's title, as the service is
configured), and the system events a resident would recognise, in words.
Never internal notes (not read here at all), never identity codes (masked
again, whatever the stored text holds), never attachment contents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from conversations.models import (
    ActorKind,
    Conversation,
    ConversationEvent,
    EventKind,
    Message,
    ProfessionalDisplay,
)
from identity import hetu


@dataclass(frozen=True)
class Line:
    at: datetime
    kind: str  # "message" or "event"
    who: str
    text: str

    @property
    def time(self) -> str:
        return f"{timezone.localtime(self.at):%H:%M}"


def _event_texts() -> dict[str, str]:
    """What the resident reads for each timeline event shown (others are left out)."""
    return {
        EventKind.CREATED: _("You started the conversation."),
        EventKind.CLAIMED: _("A professional joined the conversation."),
        EventKind.TRANSFERRED: _("The conversation was transferred."),
        EventKind.RESIDENT_LEFT: _("You left the conversation."),
        EventKind.CLOSED: _("The conversation ended."),
        EventKind.IDENTITY_CODE_MASKED: _("A personal identity code was hidden."),
        EventKind.IDENTIFICATION_COMPLETED: _("You identified yourself."),
        EventKind.IDENTIFICATION_FAILED: _("Identification did not succeed."),
        EventKind.VIDEO_STARTED: _("A video call started."),
        EventKind.VIDEO_ENDED: _("The video call ended."),
    }


def professional_label(conversation: Conversation, author) -> str:
    service = conversation.service
    if service.professional_display == ProfessionalDisplay.TITLE:
        return service.professional_title() or _("Professional")
    return (author.first_name if author is not None else "") or _("Professional")


def transcript_lines(conversation: Conversation) -> list[Line]:
    """Messages and events in time order (two queries). Call with the
    resident's language active."""
    texts = _event_texts()
    lines: list[Line] = []
    for message in (
        Message.objects.filter(conversation=conversation).select_related("author").order_by("seq")
    ):
        if message.author_kind == ActorKind.RESIDENT:
            who = _("You")
        elif message.author_kind == ActorKind.STAFF:
            who = professional_label(conversation, message.author)
        else:
            who = _("Chat service")
        body, _count = hetu.mask(message.body)
        lines.append(Line(message.created_at, "message", who, body))
    for event in ConversationEvent.objects.filter(
        conversation=conversation, kind__in=list(texts)
    ).order_by("created_at", "id"):
        lines.append(Line(event.created_at, "event", "", texts[event.kind]))
    # Stable: at the same instant an event (e.g. "started") comes before a message.
    lines.sort(key=lambda line: (line.at, line.kind == "message"))
    return lines


def render_transcript(conversation: Conversation) -> tuple[str, str, str]:
    """(subject, plain text, HTML) in the conversation's language."""
    with translation.override(conversation.language):
        service_name = conversation.service.name()
        started = timezone.localtime(conversation.created_at)
        context = {
            "service_name": service_name,
            "started": f"{started:%d.%m.%Y %H:%M}",
            "ended": (
                f"{timezone.localtime(conversation.closed_at):%d.%m.%Y %H:%M}"
                if conversation.closed_at
                else ""
            ),
            "lines": transcript_lines(conversation),
        }
        subject = _("Your chat with %(service)s") % {"service": service_name}
        text = render_to_string("closing/transcript.txt", context)
        html = render_to_string("closing/transcript.html", context)
    return subject, text, html
