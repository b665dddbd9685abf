from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from conversations import hours
from conversations.models import OpeningHours, ServiceException
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db
HKI = ZoneInfo("Europe/Helsinki")


@pytest.fixture
def office():
    """Mon–Fri 08:00–16:00, closed on 2026-12-24 (a Thursday), short day on 2026-12-31."""
    service = ServiceFactory(always_open=False)
    OpeningHours.objects.bulk_create(
        OpeningHours(service=service, weekday=d, opens=time(8), closes=time(16)) for d in range(5)
    )
    ServiceException.objects.create(service=service, date=date(2026, 12, 24), note="Christmas Eve")
    ServiceException.objects.create(
        service=service, date=date(2026, 12, 31), opens=time(9), closes=time(12)
    )
    return service


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 11, 24, 10, 0, tzinfo=HKI), True),  # Tuesday
        (datetime(2026, 11, 24, 16, 0, tzinfo=HKI), False),  # closing time itself
        (datetime(2026, 11, 24, 7, 59, tzinfo=HKI), False),
        (datetime(2026, 11, 28, 10, 0, tzinfo=HKI), False),  # Saturday
        (datetime(2026, 12, 24, 10, 0, tzinfo=HKI), False),  # exception: closed
        (datetime(2026, 12, 31, 8, 30, tzinfo=HKI), False),  # exception: opens later
        (datetime(2026, 12, 31, 11, 0, tzinfo=HKI), True),
        (datetime(2026, 11, 24, 8, 30, tzinfo=ZoneInfo("UTC")), True),  # 10:30 local
    ],
)
def test_is_open(office, moment, expected):
    assert hours.is_open(office, moment) is expected


def test_next_opening_skips_weekends_and_closed_exceptions(office):
    friday_evening = datetime(2026, 11, 27, 17, 0, tzinfo=HKI)
    assert hours.next_opening(office, friday_evening) == datetime(2026, 11, 30, 8, 0, tzinfo=HKI)
    christmas_eve_morning = datetime(2026, 12, 24, 7, 0, tzinfo=HKI)
    assert hours.next_opening(office, christmas_eve_morning) == datetime(
        2026, 12, 25, 8, 0, tzinfo=HKI
    )


def test_inactive_service_is_never_open(office):
    office.is_active = False
    assert not hours.is_open(office, datetime(2026, 11, 24, 10, 0, tzinfo=HKI))
    assert hours.next_opening(office) is None
