"""Reads for the resident's end screen."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.urls import reverse
from django.utils import timezone

from closing.actions import transcript_deadline, transcripts_left
from closing.tokens import make_transcript_token
from conversations.models import Conversation, ConversationStatus
from surveys.selectors import survey_for, survey_is_offered
from surveys.tokens import make_survey_token


def end_screen(*, conversation: Conversation, now: datetime | None = None) -> dict[str, Any]:
    """What the end screen offers this (closed) conversation's resident: the
    survey link and the transcript form, each only while it is valid."""
    now = now or timezone.now()
    survey_url = ""
    if survey_is_offered(conversation=conversation, now=now) and survey_for(
        service_id=conversation.service_id
    ):
        survey_url = reverse("surveys:survey", args=[make_survey_token(conversation.pk)])
    deadline = transcript_deadline(conversation)
    transcript = bool(
        conversation.status == ConversationStatus.CLOSED
        and conversation.service.transcripts_enabled
        and conversation.last_seq > 0
        and deadline is not None
        and now <= deadline
        and transcripts_left(conversation) > 0
    )
    return {
        "survey_url": survey_url,
        "transcript": transcript,
        "transcript_token": make_transcript_token(conversation.pk) if transcript else "",
        "transcript_until": f"{timezone.localtime(deadline):%H:%M}" if deadline else "",
    }
