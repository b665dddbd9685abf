"""Reports count call-backs and contact requests and their outcomes per service,
from the statistic row written when each closes (through the real actions)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from callbacks import actions
from conversations.actions import lifecycle
from conversations.models import CallbackOutcome, CallbackSource, ConversationStatistic
from reports.export import report_csv
from reports.selectors import Period, build_report
from tests.factories import ConversationFactory, ServiceFactory, UserFactory

pytestmark = pytest.mark.django_db


def called(conversation, professional, *outcomes: CallbackOutcome) -> None:
    for outcome in outcomes:
        lifecycle.claim_conversation(conversation_id=conversation.pk, professional=professional)
        actions.record_outcome(
            conversation_id=conversation.pk, professional=professional, outcome=outcome
        )


@pytest.fixture
def figures(settings):
    settings.CALLBACK_MAX_ATTEMPTS = 2
    a, b = ServiceFactory(), ServiceFactory()
    pro = UserFactory()
    a.professionals.add(pro)
    b.professionals.add(pro)
    queue = CallbackSource.QUEUE
    closed = CallbackSource.CLOSED
    # a: two call-backs (reached at the 2nd call; not reached after 2), one contact
    # request reached at once, one chat.
    called(ConversationFactory(service=a, callback_source=queue), pro, "no_answer", "reached")
    called(ConversationFactory(service=a, callback_source=queue), pro, "no_answer", "try_again")
    called(ConversationFactory(service=a, callback_source=closed), pro, "reached")
    chat = ConversationFactory(service=a)
    lifecycle.claim_conversation(conversation_id=chat.pk, professional=pro)
    lifecycle.close_by_professional(conversation_id=chat.pk, professional=pro, reason="done")
    # b: a contact request not reached; another still waiting after one call.
    called(ConversationFactory(service=b, callback_source=closed), pro, "no_answer", "no_answer")
    called(ConversationFactory(service=b, callback_source=closed), pro, "try_again")
    today = timezone.localdate()
    period = Period(today - timedelta(days=1), today + timedelta(days=1))
    return build_report(service_ids=[a.pk, b.pk], period=period), a, b


def test_per_service(figures):
    report, a, b = figures
    rows = {row["id"]: row for row in report["services"]}
    assert {k: rows[a.pk][k] for k in FIELDS} == {
        "callbacks": 2,
        "callbacks_reached": 1,
        "callbacks_not_reached": 1,
        "contact_requests": 1,
        "contact_requests_reached": 1,
        "contact_requests_not_reached": 0,
        "callback_calls": 5,
        "handled": 3,
        "still_open": 0,
    }
    assert {k: rows[b.pk][k] for k in FIELDS} == {
        "callbacks": 0,
        "callbacks_reached": 0,
        "callbacks_not_reached": 0,
        "contact_requests": 1,
        "contact_requests_reached": 0,
        "contact_requests_not_reached": 1,
        "callback_calls": 2,
        "handled": 0,
        "still_open": 1,
    }
    total = report["total"]
    assert (total["contact_requests"], total["callback_calls"]) == (2, 7)
    # A call-back nobody reached is not "handled", and not "abandoned" either.
    assert ConversationStatistic.objects.filter(outcome="not_reached").count() == 2
    assert total["abandoned"] == 0


def test_the_csv_has_the_same_figures(figures):
    report, a, _b = figures
    rows = list(csv.DictReader(io.StringIO(report_csv(report))))
    [row_a] = [r for r in rows if r["scope"] == "service" and r["name"] == a.name()]
    assert (row_a["callbacks"], row_a["callbacks_not_reached"], row_a["callback_calls"]) == (
        "2",
        "1",
        "5",
    )
    assert row_a["contact_requests_reached"] == "1"


FIELDS = (
    "callbacks",
    "callbacks_reached",
    "callbacks_not_reached",
    "contact_requests",
    "contact_requests_reached",
    "contact_requests_not_reached",
    "callback_calls",
    "handled",
    "still_open",
)
