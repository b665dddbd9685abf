"""The survey: a one-time link from the end screen, one answer per conversation,
expiry, anonymity, masking and limits; answers counted in the report."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from conversations.models import ConversationStatistic
from reports.selectors import Period, build_report
from surveys.models import Survey, SurveyResponse
from surveys.tokens import make_survey_token
from tests.closing.conftest import HETU, resident_client, served_conversation
from tests.factories import ConversationFactory

pytestmark = pytest.mark.django_db


def _match(pattern: str, text: str) -> str:
    found = re.search(pattern, text)
    assert found, pattern
    return found.group(1)


def survey_url_from_end_screen(client, conversation) -> str:
    resident_client(client, conversation)
    html = client.get(reverse("closing:after_chat"), headers={"X-Fragment": "1"}).content.decode()
    return _match(r'id="survey-link" href="([^"]+)"', html)


ANSWER = {"satisfaction": "4", "help_received": "partly", "comment": "Bra svar, tack."}


def test_answer_through_the_link_once(client, closed):
    url = survey_url_from_end_screen(client, closed)
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Hur nöjd är du med chatten?" in html  # the default survey, in Swedish
    assert "Fick du den hjälp du behövde?" in html

    response = client.post(url, ANSWER)
    assert response.status_code == 200
    assert "Tack för dina svar!" in response.content.decode()
    answer = SurveyResponse.objects.get()
    assert (answer.satisfaction, answer.help_received, answer.comment) == (
        4,
        "partly",
        "Bra svar, tack.",
    )
    assert answer.service_id == closed.service_id
    assert answer.professional_id == closed.assigned_to_id

    second = client.post(url, {**ANSWER, "satisfaction": "1"})
    assert second.status_code == 409
    assert SurveyResponse.objects.count() == 1
    assert client.get(url).status_code == 409
    # Answered: the end screen no longer offers the link.
    html = client.get(reverse("closing:after_chat"), headers={"X-Fragment": "1"}).content.decode()
    assert 'id="survey-link"' not in html


def test_the_answer_is_not_linked_to_the_conversation(client, closed):
    client.post(survey_url_from_end_screen(client, closed), ANSWER)
    fields = {f.name for f in SurveyResponse._meta.get_fields()}
    assert not fields & {"conversation", "conversation_id", "session", "created_at"}
    answer = SurveyResponse.objects.get()
    assert answer.started_hour.minute == answer.started_hour.second == 0


def test_an_expired_link_is_refused(client, closed, settings):
    settings.SURVEY_LINK_DAYS = 7
    url = reverse("surveys:survey", args=[make_survey_token(closed.pk)])
    statistic = ConversationStatistic.objects.get(conversation=closed)
    statistic.closed_at -= timedelta(days=7, seconds=1)
    statistic.save()
    assert client.get(url).status_code == 410
    assert client.post(url, ANSWER).status_code == 410
    assert not SurveyResponse.objects.exists()


@pytest.mark.parametrize("token", ["nonsense", "1", make_survey_token.__name__])
def test_a_forged_link_is_refused(client, closed, token):
    assert client.get(reverse("surveys:survey", args=[token])).status_code == 404


def test_a_link_for_a_conversation_nobody_served_is_refused(client, db):
    from conversations.actions import close_by_system

    waiting = ConversationFactory()
    close_by_system(conversation_id=waiting.pk, code="abandoned")
    url = reverse("surveys:survey", args=[make_survey_token(waiting.pk)])
    assert client.get(url).status_code == 404


def test_identity_codes_in_the_comment_are_masked_and_the_length_limited(client, closed):
    survey = Survey.objects.get(service__isnull=True)
    survey.comment_max_chars = 40
    survey.save()
    url = reverse("surveys:survey", args=[make_survey_token(closed.pk)])
    too_long = client.post(url, {**ANSWER, "comment": "x" * 41})
    assert too_long.status_code == 400
    assert not SurveyResponse.objects.exists()
    assert client.post(url, {**ANSWER, "comment": f"Min kod {HETU}"}).status_code == 200
    comment = SurveyResponse.objects.get().comment
    assert HETU not in comment and comment.startswith("Min kod")


@pytest.mark.parametrize(
    "answer",
    [
        {},
        {"satisfaction": "6", "help_received": "yes"},
        {"satisfaction": "0", "help_received": "yes"},
        {"satisfaction": "three", "help_received": "yes"},
        {"satisfaction": "3", "help_received": "maybe"},
    ],
)
def test_bad_answers_are_told_not_stored(client, closed, answer):
    url = reverse("surveys:survey", args=[make_survey_token(closed.pk)])
    response = client.post(url, answer)
    assert response.status_code == 400
    assert 'id="error-summary"' in response.content.decode()
    assert not SurveyResponse.objects.exists()
    assert not ConversationStatistic.objects.get(conversation=closed).survey_answered


def test_a_service_survey_wins_over_the_global_one(client, closed):
    Survey.objects.create(
        service=closed.service,
        satisfaction_question_sv="Egen fråga?",
        satisfaction_question_fi="Oma kysymys?",
        satisfaction_question_en="Own question?",
        help_question_sv="Hjälp?",
        help_question_fi="Apua?",
        help_question_en="Help?",
        ask_comment=False,
    )
    page = client.get(reverse("surveys:survey", args=[make_survey_token(closed.pk)]))
    html = page.content.decode()
    assert "Egen fråga?" in html and 'name="comment"' not in html


def test_the_survey_is_in_the_language_of_the_link(client, db):
    conversation = served_conversation(language="fi")
    url = survey_url_from_end_screen(client, conversation)
    # The end screen was asked for in Swedish; the Finnish page is under /fi/.
    fi_url = "/fi" + url
    assert "Kuinka tyytyväinen olet keskusteluun?" in client.get(fi_url).content.decode()


def test_answers_are_counted_in_the_report(client, closed):
    other = served_conversation(service=closed.service)
    for conversation, answer in (
        (closed, ANSWER),
        (other, {**ANSWER, "satisfaction": "2", "help_received": "no"}),
    ):
        url = reverse("surveys:survey", args=[make_survey_token(conversation.pk)])
        assert client.post(url, answer).status_code == 200
    third = served_conversation(service=closed.service)  # did not answer
    day = closed.created_at.astimezone().date()
    report = build_report(service_ids=[closed.service_id], period=Period(day, day))
    total = report["total"]
    assert total["survey_responses"] == 2
    assert total["satisfaction_average"] == 3.0
    assert (total["help_yes"], total["help_partly"], total["help_no"]) == (0, 1, 1)
    assert total["response_rate"] == round(100 * 2 / 3, 1)
    assert total["satisfaction_counts"] == [0, 1, 0, 1, 0]
    assert third.pk
