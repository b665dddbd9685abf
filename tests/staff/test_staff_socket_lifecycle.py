"""A staff socket ends with its login session: at logout (only that session's
sockets), at deactivation (all of them), and on a server-side timer for the
rest, also when the page only listens; the database down during the timer's
check keeps the socket."""

import pytest
from channels.db import database_sync_to_async
from django.contrib.sessions.models import Session
from django.db import OperationalError
from django.test import Client

from conversations import outages
from staff.models import User

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("channel_layer")]

CLOSE_SESSION_ENDED = 4401


@pytest.fixture(autouse=True)
def _outages_reset():
    yield
    outages.database.recovered()


@database_sync_to_async
def login(user) -> tuple[Client, bytes]:
    from django.conf import settings

    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    name = settings.SESSION_COOKIE_NAME
    return client, f"{name}={client.cookies[name].value}".encode()


async def ended(sock) -> bool:
    """The socket was told its session ended and closed with 4401."""
    frame = await sock.recv()
    close = await sock.comm.receive_output(2)
    sock.connected = False
    return frame["code"] == "session_expired" and close.get("code") == CLOSE_SESSION_ENDED


async def test_logout_ends_that_sessions_sockets_at_once(professional, open_socket):
    (laptop, laptop_cookie), (_, phone_cookie) = (
        await login(professional),
        await login(professional),
    )
    first = await open_socket("/ws/v1/staff/", laptop_cookie)
    second = await open_socket("/ws/v1/staff/", laptop_cookie)
    other_session = await open_socket("/ws/v1/staff/", phone_cookie)

    await database_sync_to_async(laptop.post)("/accounts/logout/")
    assert await ended(first) and await ended(second)
    await other_session.send({"type": "ping"})
    assert (await other_session.recv())["type"] == "pong"


async def test_deactivation_ends_every_socket_of_the_user(professional, open_socket):
    from types import SimpleNamespace

    from django.contrib.admin.sites import site

    (_, one), (_, two) = await login(professional), await login(professional)
    sockets = [await open_socket("/ws/v1/staff/", one), await open_socket("/ws/v1/staff/", two)]

    @database_sync_to_async
    def deactivate():
        professional.is_active = False
        form = SimpleNamespace(changed_data=["is_active"])
        site._registry[User].save_model(request=None, obj=professional, form=form, change=True)

    await deactivate()
    for sock in sockets:
        assert await ended(sock)


async def test_a_listening_dashboard_is_checked_on_a_timer(professional, staff_socket, settings):
    """Deactivated outside the admin (no signal): the next timed check ends it."""
    settings.STAFF_SESSION_CHECK_SECONDS = 0.05
    pro = await staff_socket(professional)
    assert await pro.nothing(0.3)  # checked several times, still valid
    await database_sync_to_async(User.objects.filter(pk=professional.pk).update)(is_active=False)
    assert await ended(pro)


async def test_the_database_down_during_the_check_keeps_the_socket(
    professional, staff_socket, settings, monkeypatch, caplog
):
    settings.STAFF_SESSION_CHECK_SECONDS = 0.05
    pro = await staff_socket(professional)

    def down(**kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr("staff.selectors.session_is_active", down)
    assert await pro.nothing(0.4)  # several failed checks: no close, no 1011
    await pro.send({"type": "ping"})
    assert (await pro.recv())["type"] == "pong"
    outage = [r.getMessage() for r in caplog.records if r.name == "conversations.outages"]
    assert outage[0].startswith("database unavailable")
    assert not any(r.exc_info for r in caplog.records)

    monkeypatch.undo()  # the database is back; the check works again
    await database_sync_to_async(Session.objects.all().delete)()
    assert await ended(pro)
