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


# A time field cannot hold 24:00: a slot closing at 23:59 or later runs to midnight
# (the service list shows it as 24:00), so a service open around the clock has
# no closed minute between one day and the next.
END_OF_DAY = time(23, 59)


def _within(slot: Slot, moment: time) -> bool:
    return slot.opens <= moment and (moment < slot.closes or slot.closes >= END_OF_DAY)


def is_open(service: Service, at: datetime | None = None) -> bool:
    if not service.is_active:
        return False
    local = timezone.localtime(at or timezone.now())
    return any(_within(s, local.time()) for s in slots_on(service, local.date()))


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
