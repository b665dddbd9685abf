"""Reads for the survey."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from conversations.models import (
    Conversation,
    ConversationStatistic,
    ConversationStatus,
    StatisticOutcome,
)
from surveys.errors import SurveyError
from surveys.models import Survey
from surveys.tokens import read_survey_token


def survey_for(*, service_id: int) -> Survey | None:
    """The service's own active survey, else the global one (one query)."""
    return (
        Survey.objects.filter(is_active=True)
        .filter(Q(service_id=service_id) | Q(service__isnull=True))
        .order_by(F("service").asc(nulls_last=True))
        .first()
    )


def survey_deadline(closed_at: datetime) -> datetime:
    return closed_at + timedelta(days=settings.SURVEY_LINK_DAYS)


def survey_is_offered(*, conversation: Conversation, now: datetime | None = None) -> bool:
    """Offered on the end screen: served by a professional, ended, in time, not answered."""
    now = now or timezone.now()
    if conversation.status != ConversationStatus.CLOSED or conversation.closed_at is None:
        return False
    if now > survey_deadline(conversation.closed_at):
        return False
    return ConversationStatistic.objects.filter(
        conversation=conversation, outcome=StatisticOutcome.HANDLED, survey_answered=False
    ).exists()


def statistic_for_link(*, token: str, now: datetime | None = None) -> ConversationStatistic:
    """The statistics row a survey link stands for, or a SurveyError saying why not."""
    now = now or timezone.now()
    conversation_id = read_survey_token(token)
    if conversation_id is None:
        raise SurveyError("invalid_link")
    statistic = (
        ConversationStatistic.objects.select_related("service")
        .filter(conversation_id=conversation_id, outcome=StatisticOutcome.HANDLED)
        .first()
    )
    if statistic is None:
        raise SurveyError("invalid_link")
    if statistic.survey_answered:
        raise SurveyError("already_answered")
    if now > survey_deadline(statistic.closed_at):
        raise SurveyError("link_expired")
    return statistic
