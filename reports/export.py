"""The report as CSV: the same rows and figures as the page."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from operator import itemgetter
from typing import Any

from django.utils.translation import gettext as _

from surveys.models import HelpReceived


def number(value: float | None) -> str:
    return "" if value is None else f"{value}"


COLUMNS: list[tuple[str, Callable[[dict[str, Any]], object]]] = [
    ("started", lambda r: r["started"]),
    ("handled", lambda r: r["handled"]),
    ("abandoned", lambda r: r["abandoned"]),
    ("service_closed", lambda r: r["service_closed"]),
    ("callbacks", itemgetter("callbacks")),
    ("callbacks_reached", itemgetter("callbacks_reached")),
    ("callbacks_not_reached", itemgetter("callbacks_not_reached")),
    ("contact_requests", itemgetter("contact_requests")),
    ("contact_requests_reached", itemgetter("contact_requests_reached")),
    ("contact_requests_not_reached", itemgetter("contact_requests_not_reached")),
    ("callback_calls", itemgetter("callback_calls")),
    ("still_open", lambda r: r["still_open"]),
    ("wait_median_min", lambda r: r["wait_median_min"]),
    ("wait_p90_min", lambda r: r["wait_p90_min"]),
    ("handling_median_min", lambda r: r["handling_median_min"]),
    ("handling_average_min", lambda r: r["handling_average_min"]),
    ("identification_rate_pct", lambda r: number(r["identification_rate"])),
    ("video_rate_pct", lambda r: number(r["video_rate"])),
    ("survey_responses", lambda r: r["survey_responses"]),
    ("response_rate_pct", lambda r: number(r["response_rate"])),
    ("satisfaction_average", lambda r: number(r["satisfaction_average"])),
    *[(f"help_{v}", itemgetter(f"help_{v}")) for v in HelpReceived.values],
]


def report_csv(report: dict[str, Any]) -> str:
    """Rows: the total, each service, each professional (when shown)."""
    out = io.StringIO()
    writer = csv.writer(out)
    period = report["period"]
    writer.writerow(["scope", "name", "period_start", "period_end", *(c for c, _f in COLUMNS)])

    def row(scope: str, name: str, figures: dict[str, Any]) -> None:
        writer.writerow(
            [scope, name, period.start.isoformat(), period.end.isoformat()]
            + [f(figures) for _c, f in COLUMNS]
        )

    row("total", str(_("All services")), report["total"])
    for service in report["services"]:
        row("service", service["name"], service)
    for person in report["professionals"] or []:
        row("professional", person["name"], person)
    return out.getvalue()
