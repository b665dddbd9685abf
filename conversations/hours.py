"""Opening hours: weekly slots, overridden per date by exception dates.

Pure functions over a service's `opening_hours` and `exceptions`; prefetch both
(`selectors.services_with_hours`) to keep list pages at a constant query count.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from conversations.models import Service

LOOKAHEAD_DAYS = 14


@dataclass(frozen=True)
class Slot:
    opens: time
    closes: time


def slots_on(service: Service, day: date) -> list[Slot]:
    """The opening slots of one local date, exceptions first."""
    for exception in service.exceptions.all():
        if exception.date == day:
            if exception.opens is None or exception.closes is None:
                return []
            return [Slot(exception.opens, exception.closes)]
    return [
        Slot(hours.opens, hours.closes)
        for hours in service.opening_hours.all()
        if hours.weekday == day.weekday()
    ]


def is_open(service: Service, at: datetime | None = None) -> bool:
    if not service.is_active:
        return False
    local = timezone.localtime(at or timezone.now())
    return any(s.opens <= local.time() < s.closes for s in slots_on(service, local.date()))


def next_opening(service: Service, at: datetime | None = None) -> datetime | None:
    """When the service next opens (local, aware), or None within the lookahead."""
    if not service.is_active:
        return None
    local = timezone.localtime(at or timezone.now())
    tz = local.tzinfo
    for offset in range(LOOKAHEAD_DAYS + 1):
        day = local.date() + timedelta(days=offset)
        for slot in sorted(slots_on(service, day), key=lambda s: s.opens):
            start = datetime.combine(day, slot.opens, tzinfo=tz)
            if start > local:
                return start
    return None
