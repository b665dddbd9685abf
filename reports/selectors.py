"""Report figures per service and period, from the anonymous statistics
(conversations.ConversationStatistic, surveys.SurveyResponse) so that they
survive the retention purge. Every figure is a database aggregate; the number
of queries is fixed whatever the number of conversations.

A period is a range of local dates (Europe/Helsinki), both ends included, and
takes the conversations that *started* in it. Wait time runs from the start to
the first professional's claim, handling time from that claim to the end; both
only for conversations a professional served ("handled"). Identification,
video and survey response rates are shares of the handled ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from conversations.models import (
    CallbackSource,
    Conversation,
    ConversationStatistic,
    ConversationStatus,
    Service,
    StatisticOutcome,
)
from reports.percentile import PercentileCont
from staff.models import User
from surveys.models import HelpReceived, SurveyResponse

MAX_DAYS = 366


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # included

    def bounds(self) -> tuple[datetime, datetime]:
        zone = timezone.get_current_timezone()
        return (
            datetime.combine(self.start, time.min, tzinfo=zone),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone),
        )

    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]


def may_see_reports(*, user) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and (user.is_superuser or getattr(user, "is_supervisor", False))
    )


def report_services(*, user) -> QuerySet[Service]:
    """The services whose reports the user may see: every service for an
    administrator, the services a supervisor works in; none otherwise."""
    if not may_see_reports(user=user):
        return Service.objects.none()
    services = Service.objects.order_by("ordering", "slug")
    return services if user.is_superuser else services.filter(professionals=user)


def _statistic_aggregates() -> dict[str, Any]:
    handled = Q(outcome=StatisticOutcome.HANDLED)
    return {
        "closed": Count("id"),
        "handled": Count("id", filter=handled),
        "abandoned": Count("id", filter=Q(outcome=StatisticOutcome.ABANDONED)),
        "service_closed": Count("id", filter=Q(outcome=StatisticOutcome.SERVICE_CLOSED)),
        "wait_median": PercentileCont("wait_seconds", 0.5, filter=handled),
        "wait_p90": PercentileCont("wait_seconds", 0.9, filter=handled),
        "handling_median": PercentileCont("handling_seconds", 0.5, filter=handled),
        "handling_average": Avg("handling_seconds", filter=handled),
        "identified": Count("id", filter=handled & Q(identified=True)),
        "video": Count("id", filter=handled & Q(video=True)),
        "answered": Count("id", filter=handled & Q(survey_answered=True)),
        **_callback_aggregates(),
    }


def _callback_aggregates() -> dict[str, Any]:
    """Call-backs asked for while waiting and contact requests left while closed:
    how many, how many were reached (a professional handled them) and how many
    not after the last attempt, and the calls made."""
    figures: dict[str, Any] = {}
    for name, source in (
        ("callbacks", CallbackSource.QUEUE),
        ("contact_requests", CallbackSource.CLOSED),
    ):
        kind = Q(callback=source)
        figures[name] = Count("id", filter=kind)
        figures[f"{name}_reached"] = Count("id", filter=kind & Q(outcome=StatisticOutcome.HANDLED))
        figures[f"{name}_not_reached"] = Count(
            "id", filter=kind & Q(outcome=StatisticOutcome.NOT_REACHED)
        )
    figures["callback_calls"] = Sum("callback_attempts")
    return figures


def _response_aggregates() -> dict[str, Any]:
    figures: dict[str, Any] = {
        "responses": Count("id"),
        "satisfaction_average": Avg("satisfaction"),
    }
    for value in HelpReceived.values:
        figures[f"help_{value}"] = Count("id", filter=Q(help_received=value))
    for score in range(1, 6):
        figures[f"score_{score}"] = Count("id", filter=Q(satisfaction=score))
    return figures


def minutes(seconds: float | None) -> str:
    """Seconds as minutes with one decimal, as the page and the CSV show them."""
    return "" if seconds is None else f"{seconds / 60:.1f}"


def _share(part: int, whole: int) -> float | None:
    return None if not whole else round(100 * part / whole, 1)


def _figures(stats: dict | None, still_open: int, responses: dict | None) -> dict[str, Any]:
    """One row of the report from its three aggregates."""
    s = stats or {}
    r = responses or {}
    handled = s.get("handled", 0)
    average = r.get("satisfaction_average")
    durations = {
        "wait_median": s.get("wait_median"),
        "wait_p90": s.get("wait_p90"),
        "handling_median": s.get("handling_median"),
        "handling_average": s.get("handling_average"),
    }
    return {
        **{f"{k}_seconds": v for k, v in durations.items()},
        **{f"{k}_min": minutes(v) for k, v in durations.items()},
        "started": s.get("closed", 0) + still_open,
        "handled": handled,
        "abandoned": s.get("abandoned", 0),
        "service_closed": s.get("service_closed", 0),
        **{
            f"{name}{part}": s.get(f"{name}{part}", 0)
            for name in ("callbacks", "contact_requests")
            for part in ("", "_reached", "_not_reached")
        },
        "callback_calls": s.get("callback_calls") or 0,
        "still_open": still_open,
        "identification_rate": _share(s.get("identified", 0), handled),
        "video_rate": _share(s.get("video", 0), handled),
        "survey_responses": r.get("responses", 0),
        "response_rate": _share(s.get("answered", 0), handled),
        "satisfaction_average": None if average is None else round(float(average), 2),
        **{f"help_{v}": r.get(f"help_{v}", 0) for v in HelpReceived.values},
        "satisfaction_counts": [r.get(f"score_{n}", 0) for n in range(1, 6)],
    }


def build_report(
    *, service_ids: list[int], period: Period, per_professional: bool = False
) -> dict[str, Any]:
    """The report: a total, a row per service, optionally a row per professional,
    and the daily counts for the chart."""
    start, end = period.bounds()
    stats = ConversationStatistic.objects.filter(
        service_id__in=service_ids, started_at__gte=start, started_at__lt=end
    )
    responses = SurveyResponse.objects.filter(
        service_id__in=service_ids, started_hour__gte=start, started_hour__lt=end
    )
    open_now = Conversation.objects.filter(
        service_id__in=service_ids, created_at__gte=start, created_at__lt=end
    ).exclude(status=ConversationStatus.CLOSED)

    by_service = {
        row["service_id"]: row
        for row in stats.values("service_id").annotate(**_statistic_aggregates()).order_by()
    }
    open_by_service = {
        row["service_id"]: row["n"]
        for row in open_now.values("service_id").annotate(n=Count("id")).order_by()
    }
    answers_by_service = {
        row["service_id"]: row
        for row in responses.values("service_id").annotate(**_response_aggregates()).order_by()
    }
    services = Service.objects.filter(pk__in=service_ids).order_by("ordering", "slug")
    report: dict[str, Any] = {
        "period": period,
        "total": _figures(
            stats.aggregate(**_statistic_aggregates()),
            open_now.count(),
            responses.aggregate(**_response_aggregates()),
        ),
        "services": [
            {
                "id": s.pk,
                "name": s.name(),
                **_figures(
                    by_service.get(s.pk), open_by_service.get(s.pk, 0), answers_by_service.get(s.pk)
                ),
            }
            for s in services
        ],
        "professionals": None,
        "daily": _daily(stats, period),
    }
    if per_professional:
        report["professionals"] = _per_professional(stats, responses)
    return report


def _per_professional(stats: QuerySet, responses: QuerySet) -> list[dict[str, Any]]:
    handled = stats.filter(outcome=StatisticOutcome.HANDLED, professional__isnull=False)
    by_person = {
        row["professional_id"]: row
        for row in handled.values("professional_id").annotate(**_statistic_aggregates()).order_by()
    }
    answers = {
        row["professional_id"]: row
        for row in responses.filter(professional__isnull=False)
        .values("professional_id")
        .annotate(**_response_aggregates())
        .order_by()
    }
    people = User.objects.filter(pk__in=set(by_person) | set(answers)).order_by(
        "first_name", "last_name", "email"
    )
    return [
        {
            "id": p.pk,
            "name": p.get_full_name() or p.email,
            **_figures(by_person.get(p.pk), 0, answers.get(p.pk)),
        }
        for p in people
    ]


def _daily(stats: QuerySet, period: Period) -> list[dict[str, Any]]:
    rows = {
        row["day"]: row
        for row in stats.annotate(
            day=TruncDate("started_at", tzinfo=timezone.get_current_timezone())
        )
        .values("day")
        .annotate(
            handled=Count("id", filter=Q(outcome=StatisticOutcome.HANDLED)),
            not_served=Count("id", filter=~Q(outcome=StatisticOutcome.HANDLED)),
        )
        .order_by()
    }
    return [
        {
            "day": day,
            "handled": rows.get(day, {}).get("handled", 0),
            "not_served": rows.get(day, {}).get("not_served", 0),
        }
        for day in period.days()
    ]
