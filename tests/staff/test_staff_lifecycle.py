"""A professional's sockets outside their frames: presence across tabs and
processes, the session they belong to, and who can be handed a conversation.
Time is passed as `now`, never waited for."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.test import Client
from django.utils import timezone

from conversations import actions, connections
from conversations.errors import DomainError
from conversations.events import SessionEnded
from staff import actions as staff_actions
from staff.models import Presence, StaffConnection, User
from staff.selectors import dashboard_config, session_is_active, supervisor_figures
from staff.sessions import session_digest
from tests.factories import ConversationFactory, UserFactory

pytestmark = pytest.mark.django_db

T0 = timezone.now()


@pytest.fixture(autouse=True)
def _now():
    """Each test's "now", taken when it starts: rows are fresh or stale relative to
    the test's own clock, however long the tests before it took."""
    global T0
    T0 = timezone.now()


def available(user) -> None:
    User.objects.filter(pk=user.pk).update(presence=Presence.AVAILABLE)


def presence(user) -> str:
    user.refresh_from_db()
    return user.presence


def open_tab(user, channel: str, now=None) -> None:
    """What the staff socket's connect does: a row, and this process knowing it."""
    staff_actions.socket_opened(user=user, channel_name=channel, now=now or timezone.now())
    connections.staff_sockets.add(channel, user.pk)


def close_tab(user, channel: str, now=None) -> None:
    connections.staff_sockets.discard(channel)
    staff_actions.socket_closed(user=user, channel_name=channel, now=now)


# --- presence -------------------------------------------------------------------


def test_a_dashboard_that_only_listens_stays_available(service, professional):
    open_tab(professional, "tab", now=T0)
    available(professional)
    supervisor = UserFactory(is_supervisor=True)
    service.professionals.add(supervisor)
    # Ten minutes without a frame from the page; the process heartbeat ran meanwhile.
    later = T0 + timedelta(minutes=10)
    staff_actions.refresh_staff_connections(now=later)
    (row,) = supervisor_figures(user=supervisor, now=later)["services"]
    assert row["available"] == 1
    staff_actions.expire_staff_connections(now=later)
    assert presence(professional) == "available"


def test_closing_one_of_two_tabs_keeps_presence(professional):
    open_tab(professional, "first", now=T0)
    open_tab(professional, "second", now=T0 + timedelta(seconds=1))
    available(professional)
    # Long after the first tab opened: the heartbeat keeps both rows fresh.
    later = T0 + timedelta(minutes=10)
    staff_actions.refresh_staff_connections(now=later)
    close_tab(professional, "first", now=later)
    assert presence(professional) == "available"
    close_tab(professional, "second", now=later)
    assert presence(professional) == "away"


def test_rows_of_a_killed_process_expire_and_presence_goes_away(professional):
    """kill -9: nobody closes the socket; the process's rows stop being refreshed."""
    StaffConnection.objects.create(
        user=professional, channel_name="dead", process="killed", last_seen=T0
    )
    available(professional)
    assert staff_actions.expire_staff_connections(now=T0 + timedelta(seconds=60)) == 0
    assert presence(professional) == "available"
    assert staff_actions.expire_staff_connections(now=T0 + timedelta(minutes=5)) == 1
    assert presence(professional) == "away"
    assert not StaffConnection.objects.exists()


def test_expiry_keeps_presence_of_someone_with_a_live_tab_elsewhere(professional):
    StaffConnection.objects.create(
        user=professional, channel_name="dead", process="killed", last_seen=T0
    )
    later = T0 + timedelta(minutes=5)
    open_tab(professional, "live", now=later)
    available(professional)
    staff_actions.expire_staff_connections(now=later)
    assert presence(professional) == "available"
    assert list(StaffConnection.objects.values_list("channel_name", flat=True)) == ["live"]


def test_the_heartbeat_puts_back_a_live_tab_and_removes_a_closed_one(professional):
    open_tab(professional, "live", now=T0)
    staff_actions.socket_opened(user=professional, channel_name="closed-in-outage", now=T0)
    StaffConnection.objects.filter(channel_name="live").delete()
    staff_actions.refresh_staff_connections(now=T0 + timedelta(seconds=30))
    assert list(StaffConnection.objects.values_list("channel_name", flat=True)) == ["live"]


# --- transfer to a colleague ------------------------------------------------------


@pytest.fixture
def colleague(service):
    user = UserFactory(first_name="Colleague", max_active_chats=1)
    service.professionals.add(user)
    return user


@pytest.fixture
def my_chat(conversation, professional):
    actions.claim_conversation(conversation_id=conversation.pk, professional=professional)
    return conversation


def transfer(my_chat, professional, colleague):
    return staff_actions.transfer_by_ids(
        conversation_id=my_chat.pk,
        by=professional,
        to_service_id=None,
        to_professional_id=colleague.pk,
    )


def test_transfer_refuses_a_colleague_who_is_away(my_chat, professional, colleague):
    open_tab(colleague, "c")  # connected but away
    with pytest.raises(DomainError) as exc:
        transfer(my_chat, professional, colleague)
    assert exc.value.code == "colleague_unavailable"


def test_transfer_refuses_a_colleague_without_a_live_socket(my_chat, professional, colleague):
    available(colleague)  # says available, but the page is gone
    with pytest.raises(DomainError) as exc:
        transfer(my_chat, professional, colleague)
    assert exc.value.code == "colleague_unavailable"


def test_transfer_refuses_a_colleague_at_their_limit(service, my_chat, professional, colleague):
    open_tab(colleague, "c")
    available(colleague)
    theirs = ConversationFactory(service=service)
    actions.claim_conversation(conversation_id=theirs.pk, professional=colleague)
    with pytest.raises(DomainError) as exc:
        transfer(my_chat, professional, colleague)
    assert exc.value.code == "colleague_limit_reached"


def test_transfer_to_an_available_colleague_under_their_limit(my_chat, professional, colleague):
    open_tab(colleague, "c")
    available(colleague)
    assert transfer(my_chat, professional, colleague).assigned_to == colleague


def test_the_dashboard_lists_only_colleagues_who_can_take_a_chat(
    service, professional, colleague, django_assert_max_num_queries
):
    away = UserFactory(first_name="Away")
    full = UserFactory(first_name="Full", max_active_chats=1)
    gone = UserFactory(first_name="Gone")
    service.professionals.add(away, full, gone)
    for tab, user in enumerate((colleague, away, full)):
        open_tab(user, f"tab-{tab}")
    for user in (colleague, full, gone):
        available(user)
    busy = ConversationFactory(service=service)
    actions.claim_conversation(conversation_id=busy.pk, professional=full)

    with django_assert_max_num_queries(8):
        config = dashboard_config(user=professional)
    assert config["colleagues"] == [
        {"id": colleague.pk, "name": "Colleague", "presence": "available", "services": [service.pk]}
    ]


# --- the session behind a socket ------------------------------------------------------


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_session_check_refuses_logout_deactivation_and_a_new_password(professional):
    client = logged_in(professional)
    key = client.session.session_key
    assert session_is_active(session_key=key, user=professional)

    User.objects.filter(pk=professional.pk).update(is_active=False)
    assert session_is_active(session_key=key) and not session_is_active(
        session_key=key, user=professional
    )
    User.objects.filter(pk=professional.pk).update(is_active=True)
    assert session_is_active(session_key=key, user=professional)

    professional.set_password("a-new-password-2026")
    professional.save()
    assert not session_is_active(session_key=key, user=professional)

    other = logged_in(professional)
    other.logout()
    assert not session_is_active(session_key=other.session.session_key, user=professional)


def test_session_check_refuses_a_session_of_another_user(professional):
    """Even one that carries this user's password digest: the session must be theirs."""
    from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    someone = UserFactory()
    session = SessionStore()
    session[SESSION_KEY] = str(someone.pk)
    session[HASH_SESSION_KEY] = professional.get_session_auth_hash()
    session.create()
    assert not session_is_active(session_key=session.session_key, user=professional)
    session[SESSION_KEY] = str(professional.pk)
    session.save()
    assert session_is_active(session_key=session.session_key, user=professional)


def test_logout_ends_that_sessions_sockets_only(professional, events):
    first, second = logged_in(professional), logged_in(professional)
    key = first.session.session_key
    first.post("/accounts/logout/")
    assert events == [SessionEnded(user=professional.pk, session=session_digest(key))]
    assert session_digest(key) != session_digest(second.session.session_key)


def test_deactivation_in_the_admin_ends_every_socket_of_the_user(professional, events):
    from django.contrib.admin.sites import site

    professional.is_active = False
    form = SimpleNamespace(changed_data=["is_active"])
    site._registry[User].save_model(request=None, obj=professional, form=form, change=True)
    professional.refresh_from_db()
    assert not professional.is_active
    assert events == [SessionEnded(user=professional.pk, session="")]


def test_other_admin_changes_leave_the_sockets_alone(professional, events):
    from django.contrib.admin.sites import site

    professional.max_active_chats = 5
    form = SimpleNamespace(changed_data=["max_active_chats"])
    site._registry[User].save_model(request=None, obj=professional, form=form, change=True)
    assert events == []
