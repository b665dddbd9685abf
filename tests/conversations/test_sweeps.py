"""The periodic sweeps: ghost residents, connection rows of dead processes, the
queue of a closed service. Time is passed as `now`, never waited for."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from conversations import hours, sweeps
from conversations.actions import connections as actions
from conversations.actions import lifecycle
from conversations.models import ConversationStatus, OpeningHours, ResidentConnection
from tests.factories import ConversationFactory, ServiceFactory, UserFactory

pytestmark = pytest.mark.django_db

T0 = timezone.now()
GRACE = timedelta(seconds=120)  # RESIDENT_GONE_GRACE_SECONDS' default


def gone(conversation, at=T0):
    """The resident's only socket closed at `at`."""
    actions.resident_socket_opened(conversation_id=conversation.pk, channel_name="s", now=at)
    actions.resident_socket_closed(conversation_id=conversation.pk, channel_name="s", now=at)


def status(conversation) -> tuple[str, str, str]:
    conversation.refresh_from_db()
    return conversation.status, conversation.system_close_code, conversation.closed_by


def test_a_gone_waiting_resident_keeps_the_place_for_the_grace_period_then_leaves(conversation):
    gone(conversation)
    assert sweeps.abandon_ghost_residents(now=T0 + GRACE - timedelta(seconds=1)) == 0
    assert status(conversation)[0] == "waiting"
    assert sweeps.abandon_ghost_residents(now=T0 + GRACE + timedelta(seconds=1)) == 1
    assert status(conversation) == ("closed", "abandoned", "system")


def test_the_grace_period_is_a_setting(conversation, settings):
    settings.RESIDENT_GONE_GRACE_SECONDS = 600
    gone(conversation)
    assert sweeps.abandon_ghost_residents(now=T0 + timedelta(seconds=599)) == 0
    assert sweeps.abandon_ghost_residents(now=T0 + timedelta(seconds=601)) == 1


def test_a_reload_within_the_grace_period_keeps_the_place(conversation):
    gone(conversation)
    actions.resident_socket_opened(
        conversation_id=conversation.pk, channel_name="again", now=T0 + timedelta(seconds=3)
    )
    assert sweeps.abandon_ghost_residents(now=T0 + timedelta(hours=1)) == 0
    assert status(conversation)[0] == "waiting"


def test_a_resident_who_never_opened_the_chat_page_leaves_after_the_grace_period(service):
    never = ConversationFactory(service=service, created_at=T0)
    connected = ConversationFactory(service=service, created_at=T0)
    actions.resident_socket_opened(conversation_id=connected.pk, channel_name="c", now=T0)
    assert sweeps.abandon_ghost_residents(now=T0 + GRACE - timedelta(seconds=1)) == 0
    assert sweeps.abandon_ghost_residents(now=T0 + GRACE + timedelta(seconds=1)) == 1
    assert status(never)[0] == "closed" and status(connected)[0] == "waiting"


def test_an_active_conversation_is_never_closed_for_a_gone_resident(conversation, professional):
    lifecycle.claim_conversation(conversation_id=conversation.pk, professional=professional)
    gone(conversation)
    assert sweeps.abandon_ghost_residents(now=T0 + timedelta(hours=1)) == 0
    conversation.refresh_from_db()
    assert conversation.status == "active" and conversation.resident_disconnected_at == T0


def test_rows_of_a_killed_process_expire_and_start_the_grace_period(conversation):
    """kill -9: the row stays behind, unrefreshed. Expiry disconnects the resident
    *now* (not at the row's age), so a long database outage never abandons a
    resident who was there all along."""
    ResidentConnection.objects.create(
        conversation=conversation, channel_name="x", process="killed", last_seen=T0
    )
    assert sweeps.expire_resident_connections(now=T0 + timedelta(seconds=119)) == 0
    expiry = T0 + timedelta(seconds=121)  # CONNECTION_STALE_SECONDS' default is 120
    assert sweeps.expire_resident_connections(now=expiry) == 1
    conversation.refresh_from_db()
    assert conversation.resident_disconnected_at == expiry
    assert not ResidentConnection.objects.exists()
    assert sweeps.abandon_ghost_residents(now=expiry + GRACE - timedelta(seconds=1)) == 0
    assert sweeps.abandon_ghost_residents(now=expiry + GRACE + timedelta(seconds=1)) == 1


def test_a_resident_with_a_fresh_socket_elsewhere_is_not_disconnected_by_expiry(conversation):
    later = T0 + timedelta(minutes=5)
    ResidentConnection.objects.create(
        conversation=conversation, channel_name="old", process="killed", last_seen=T0
    )
    ResidentConnection.objects.create(
        conversation=conversation, channel_name="new", process="alive", last_seen=later
    )
    assert sweeps.expire_resident_connections(now=later) == 0
    conversation.refresh_from_db()
    assert conversation.resident_disconnected_at is None
    assert list(ResidentConnection.objects.values_list("channel_name", flat=True)) == ["new"]


def test_one_failing_conversation_does_not_stop_the_sweep(service, monkeypatch, caplog):
    first = ConversationFactory(service=service, created_at=T0)
    second = ConversationFactory(service=service, created_at=T0)
    real = actions.abandon_if_resident_gone

    def flaky(*, conversation_id, now):
        if conversation_id == first.pk:
            raise RuntimeError("boom")
        return real(conversation_id=conversation_id, now=now)

    monkeypatch.setattr(actions, "abandon_if_resident_gone", flaky)
    assert sweeps.abandon_ghost_residents(now=T0 + timedelta(hours=1)) == 1
    assert status(first)[0] == "waiting" and status(second)[0] == "closed"
    assert "abandoning" in caplog.text


# --- services open around the clock -------------------------------------------------

HELSINKI = ZoneInfo("Europe/Helsinki")


def around_the_clock(closes: time):
    service = ServiceFactory(always_open=False)
    OpeningHours.objects.bulk_create(
        OpeningHours(service=service, weekday=d, opens=time(0), closes=closes) for d in range(7)
    )
    return service


@pytest.mark.parametrize("closes", [time(23, 59), time(23, 59, 59)])
def test_a_service_open_around_the_clock_has_no_closed_minute_at_midnight(closes, settings):
    settings.WAITING_GRACE_AFTER_CLOSING_MINUTES = 0
    service = around_the_clock(closes)
    waiting = ConversationFactory(service=service)
    for moment in (time(23, 59, 0), time(23, 59, 59, 500_000), time(0, 0)):
        at = datetime.combine(date(2026, 11, 24), moment, tzinfo=HELSINKI)
        assert hours.is_open(service, at), moment
        assert sweeps.close_waiting_in_closed_services(now=at) == 0
    assert status(waiting)[0] == "waiting"


def test_the_queue_of_a_service_that_closed_is_closed_after_the_grace(settings):
    settings.WAITING_GRACE_AFTER_CLOSING_MINUTES = 15
    service = ServiceFactory(always_open=False)
    OpeningHours.objects.bulk_create(
        OpeningHours(service=service, weekday=d, opens=time(8), closes=time(16)) for d in range(7)
    )
    waiting = ConversationFactory(service=service)
    served = ConversationFactory(service=service)
    professional = UserFactory()
    service.professionals.add(professional)
    lifecycle.claim_conversation(conversation_id=served.pk, professional=professional)
    day = datetime(2026, 11, 24, tzinfo=HELSINKI)
    assert sweeps.close_waiting_in_closed_services(now=day.replace(hour=16, minute=14)) == 0
    assert sweeps.close_waiting_in_closed_services(now=day.replace(hour=16, minute=16)) == 1
    assert status(waiting) == ("closed", "service_closed", "system")
    assert status(served)[0] == ConversationStatus.ACTIVE
