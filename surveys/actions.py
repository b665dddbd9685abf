"""Writes for the survey."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from conversations.models import ConversationStatistic
from identity import hetu
from surveys.errors import SurveyError
from surveys.models import HelpReceived, Survey, SurveyResponse
from surveys.selectors import survey_deadline


@transaction.atomic
def submit_response(
    *,
    statistic_id: int,
    survey: Survey,
    satisfaction: int,
    help_received: str,
    comment: str = "",
    now: datetime | None = None,
) -> SurveyResponse:
    """Store one anonymous answer and mark the conversation as answered, once.

    The response keeps only the service, the professional and the hour the
    conversation started; identity codes in the comment are masked and the comment
    is cut to the survey's limit. A second answer, or one after the link
    expired, is refused (re-checked under the row lock: two tabs, one answer)."""
    now = now or timezone.now()
    statistic = ConversationStatistic.objects.select_for_update().get(pk=statistic_id)
    if statistic.survey_answered:
        raise SurveyError("already_answered")
    if now > survey_deadline(statistic.closed_at):
        raise SurveyError("link_expired")
    if not (isinstance(satisfaction, int) and 1 <= satisfaction <= 5):
        raise SurveyError("invalid_answer")
    if help_received not in HelpReceived.values:
        raise SurveyError("invalid_answer")
    comment, _masked = hetu.mask((comment or "").strip()) if survey.ask_comment else ("", 0)
    response = SurveyResponse.objects.create(
        survey=survey,
        service_id=statistic.service_id,
        professional_id=statistic.professional_id,
        language=statistic.language,
        started_hour=statistic.started_at.replace(minute=0, second=0, microsecond=0),
        satisfaction=satisfaction,
        help_received=help_received,
        comment=comment[: survey.comment_max_chars],
    )
    statistic.survey_answered = True
    statistic.save(update_fields=["survey_answered"])
    return response
