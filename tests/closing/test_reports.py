"""Report figures against hand-computed fixtures, the CSV export, who may see
what, and a query count that does not grow with the number of conversations."""

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conversations.models import AuditAction, AuditEntry, ConversationStatistic
from reports.export import report_csv
from reports.selectors import Period, build_report
from surveys.models import SurveyResponse
from tests.factories import ConversationFactory, ServiceFactory, UserFactory

pytestmark = pytest.mark.django_db

HELSINKI = ZoneInfo("Europe/Helsinki")
PERIOD = Period(date(2026, 3, 2), date(2026, 3, 3))


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=HELSINKI)


def stat(service, started, outcome="handled", professional=None, wait=None, handling=None, **extra):
    return ConversationStatistic.objects.create(
        service=service,
        professional=professional,
        language="sv",
        outcome=outcome,
        started_at=started,
        closed_at=started,
        wait_seconds=wait,
        handling_seconds=handling,
        **extra,
    )


def answer(service, professional, started_hour, satisfaction, help_received):
    return SurveyResponse.objects.create(
        service=service,
        professional=professional,
        language="sv",
        started_hour=started_hour,
        satisfaction=satisfaction,
        help_received=help_received,
    )


@pytest.fixture
def fixture_data():
    """The hand-computed data set (see the expected figures in each test)."""
    a, b = ServiceFactory(slug="a-service"), ServiceFactory(slug="b-service")
    p1 = UserFactory(first_name="Anna", last_name="A")
    p2 = UserFactory(first_name="Bertil", last_name="B")
    stat(a, at(2, 9), professional=p1, wait=60, handling=600, identified=True, survey_answered=True)
    stat(a, at(2, 10), professional=p1, wait=120, handling=300, video=True)
    stat(
        a, at(2, 11), professional=p2, wait=300, handling=900, identified=True, survey_answered=True
    )
    stat(a, at(3, 9), professional=p2, wait=600, handling=1200)
    stat(a, at(3, 12), outcome="abandoned")
    stat(a, at(3, 13), outcome="service_closed")
    stat(a, at(4, 0), professional=p1, wait=9999, handling=9999)  # the day after: out
    stat(a, at(1, 23, 59), professional=p1, wait=9999, handling=9999)  # the day before: out
    stat(
        b,
        at(2, 12),
        professional=p1,
        wait=30,
        handling=60,
        identified=True,
        video=True,
        survey_answered=True,
    )
    ConversationFactory(service=a, created_at=at(3, 15))  # still waiting: started, not closed
    ConversationFactory(service=a, created_at=at(5, 15))  # out
    answer(a, p1, at(2, 9), 5, "yes")
    answer(a, p2, at(2, 11), 3, "partly")
    answer(a, p1, at(4, 9), 1, "no")  # out
    answer(b, p1, at(2, 12), 4, "no")
    return a, b, p1, p2


def test_per_service_figures(fixture_data):
    a, b, _p1, _p2 = fixture_data
    report = build_report(service_ids=[a.pk, b.pk], period=PERIOD)
    row_a, row_b = report["services"]
    assert row_a["id"] == a.pk
    # A: 6 closed + 1 still open started; waits 60,120,300,600 s; handling 300,600,900,1200 s.
    assert (row_a["started"], row_a["handled"], row_a["abandoned"], row_a["service_closed"]) == (
        7,
        4,
        1,
        1,
    )
    assert row_a["still_open"] == 1
    assert row_a["wait_median_seconds"] == 210  # (120 + 300) / 2
    assert row_a["wait_p90_seconds"] == pytest.approx(510)  # 300 + 0.7 × (600 − 300)
    assert row_a["handling_median_seconds"] == 750
    assert row_a["handling_average_seconds"] == 750
    assert (row_a["wait_median_min"], row_a["wait_p90_min"]) == ("3.5", "8.5")
    assert row_a["identification_rate"] == 50.0
    assert row_a["video_rate"] == 25.0
    assert row_a["response_rate"] == 50.0
    assert row_a["survey_responses"] == 2
    assert row_a["satisfaction_average"] == 4.0
    assert (row_a["help_yes"], row_a["help_partly"], row_a["help_no"]) == (1, 1, 0)
    # B: one handled conversation.
    assert (row_b["started"], row_b["handled"], row_b["wait_median_seconds"]) == (1, 1, 30)
    assert (row_b["identification_rate"], row_b["video_rate"], row_b["response_rate"]) == (
        100.0,
        100.0,
        100.0,
    )


def test_totals(fixture_data):
    a, b, *_ = fixture_data
    total = build_report(service_ids=[a.pk, b.pk], period=PERIOD)["total"]
    # Waits 30,60,120,300,600; handling 60,300,600,900,1200.
    assert (total["started"], total["handled"], total["abandoned"]) == (8, 5, 1)
    assert total["wait_median_seconds"] == 120
    assert total["wait_p90_seconds"] == pytest.approx(480)  # 300 + 0.6 × 300
    assert total["handling_median_seconds"] == 600
    assert total["handling_average_seconds"] == 612
    assert (total["identification_rate"], total["video_rate"], total["response_rate"]) == (
        60.0,
        40.0,
        60.0,
    )
    assert total["survey_responses"] == 3
    assert total["satisfaction_average"] == 4.0
    assert total["satisfaction_counts"] == [0, 0, 1, 1, 1]


def test_per_professional(fixture_data):
    a, b, p1, p2 = fixture_data
    people = build_report(service_ids=[a.pk, b.pk], period=PERIOD, per_professional=True)[
        "professionals"
    ]
    anna, bertil = people
    assert (anna["id"], anna["handled"], anna["handling_median_seconds"]) == (p1.pk, 3, 300)
    assert anna["identification_rate"] == 66.7
    assert (anna["survey_responses"], anna["satisfaction_average"]) == (2, 4.5)
    assert (bertil["id"], bertil["handled"], bertil["handling_median_seconds"]) == (p2.pk, 2, 1050)
    assert (bertil["survey_responses"], bertil["satisfaction_average"]) == (1, 3.0)


def test_daily_series(fixture_data):
    a, b, *_ = fixture_data
    daily = build_report(service_ids=[a.pk, b.pk], period=PERIOD)["daily"]
    assert daily == [
        {"day": date(2026, 3, 2), "handled": 4, "not_served": 0},
        {"day": date(2026, 3, 3), "handled": 1, "not_served": 2},
    ]


def test_an_empty_period_has_no_figures_not_errors(fixture_data):
    a, *_ = fixture_data
    total = build_report(service_ids=[a.pk], period=Period(date(2025, 1, 1), date(2025, 1, 1)))[
        "total"
    ]
    assert total["started"] == 0
    assert total["wait_median_seconds"] is None and total["wait_median_min"] == ""
    assert total["response_rate"] is None


def test_csv_matches_the_report(fixture_data):
    a, b, *_ = fixture_data
    report = build_report(service_ids=[a.pk, b.pk], period=PERIOD, per_professional=True)
    rows = list(csv.DictReader(io.StringIO(report_csv(report))))
    assert [(r["scope"], r["name"]) for r in rows] == [
        ("total", "Alla tjänster"),
        ("service", a.name()),
        ("service", b.name()),
        ("professional", "Anna A"),
        ("professional", "Bertil B"),
    ]
    total, row_a = rows[0], rows[1]
    assert total["started"] == "8" and total["handled"] == "5"
    assert (total["wait_median_min"], total["wait_p90_min"]) == ("2.0", "8.0")
    assert (total["handling_median_min"], total["handling_average_min"]) == ("10.0", "10.2")
    assert total["identification_rate_pct"] == "60.0"
    assert total["satisfaction_average"] == "4.0"
    assert (total["help_yes"], total["help_partly"], total["help_no"]) == ("1", "1", "1")
    assert (row_a["wait_median_min"], row_a["wait_p90_min"], row_a["still_open"]) == (
        "3.5",
        "8.5",
        "1",
    )
    assert total["period_start"] == "2026-03-02" and total["period_end"] == "2026-03-03"


def _more_conversations(service, professional, n):
    for i in range(n):
        stat(
            service,
            at(2, 8, i % 60),
            professional=professional,
            wait=i,
            handling=i,
            survey_answered=bool(i % 2),
        )
        answer(service, professional, at(2, 8), 1 + i % 5, "yes")


def test_query_count_does_not_grow_with_the_conversations(fixture_data):
    a, b, p1, _ = fixture_data

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            build_report(service_ids=[a.pk, b.pk], period=PERIOD, per_professional=True)
        return len(queries)

    few = count()
    _more_conversations(a, p1, 60)
    assert count() == few
    assert few <= 12


# --- the pages ------------------------------------------------------------------


@pytest.fixture
def supervisor(fixture_data):
    a, *_ = fixture_data
    user = UserFactory(is_supervisor=True)
    a.professionals.add(user)
    return user


def report_url(**query) -> str:
    params = {"start": "2026-03-02", "end": "2026-03-03", **query}
    return (
        reverse("staff:supervisor_report") + "?" + "&".join(f"{k}={v}" for k, v in params.items())
    )


def test_a_supervisor_sees_only_their_services_and_the_view_is_audited(
    client, supervisor, fixture_data
):
    a, b, *_ = fixture_data
    client.force_login(supervisor)
    response = client.get(report_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert a.name() in html and b.name() not in html
    assert "<svg" in html and "Samtal per dag" in html
    entry = AuditEntry.objects.get(action=AuditAction.VIEW_REPORT)
    assert entry.user_id == supervisor.pk and "2026-03-02..2026-03-03" in entry.detail


def test_an_administrator_sees_every_service(client, fixture_data):
    a, b, *_ = fixture_data
    admin = UserFactory(is_superuser=True)
    client.force_login(admin)
    html = client.get(report_url()).content.decode()
    assert a.name() in html and b.name() in html


def test_a_professional_without_the_role_is_refused(client, fixture_data):
    a, *_ = fixture_data
    user = UserFactory()
    a.professionals.add(user)
    client.force_login(user)
    assert client.get(report_url()).status_code == 403
    assert client.get(reverse("staff:supervisor_report_csv")).status_code == 403
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    "query",
    [
        {"start": "yesterday"},
        {"start": "2026-03-05", "end": "2026-03-01"},
        {"start": "2024-01-01", "end": "2026-03-01"},
        {"service": "999999"},
        {"service": "x"},
    ],
)
def test_bad_choices_are_told_not_a_500(client, supervisor, query):
    client.force_login(supervisor)
    response = client.get(report_url(**query))
    assert response.status_code == 400
    assert 'id="error-summary"' in response.content.decode()
    assert (
        client.get(
            reverse("staff:supervisor_report_csv")
            + report_url(**query)[len(reverse("staff:supervisor_report")) :]
        ).status_code
        == 400
    )


def test_csv_download(client, supervisor, fixture_data):
    _a, *_ = fixture_data
    client.force_login(supervisor)
    url = reverse("staff:supervisor_report_csv") + "?start=2026-03-02&end=2026-03-03"
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="chat-report-2026-03-02-2026-03-03.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["scope"] for r in rows][:2] == ["total", "service"]
    assert rows[1]["started"] == "7"


def test_the_page_query_count_is_bounded(
    client, supervisor, fixture_data, django_assert_max_num_queries
):
    a, _b, p1, _ = fixture_data
    _more_conversations(a, p1, 40)
    client.force_login(supervisor)
    with django_assert_max_num_queries(25):
        assert client.get(report_url()).status_code == 200
