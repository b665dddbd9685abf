"""The in-process periodic loop (chatservice/background.py)."""

import asyncio
import logging
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.db import OperationalError
from django.utils import timezone

from chatservice import background
from conversations import connections, outages
from conversations.models import ConversationStatus, ResidentConnection
from staff.models import StaffConnection
from tests.factories import ConversationFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

T0 = timezone.now()


@pytest.fixture(autouse=True)
def _outages_reset():
    yield
    outages.database.recovered()
    outages.channel_layer.recovered()


def names(settings) -> list[str]:
    return [job.name for job in background.jobs()]


def test_the_heartbeat_always_runs_the_sweeps_only_without_a_beat(settings):
    settings.RUN_SWEEPS_IN_PROCESS = False
    assert names(settings) == ["resident heartbeat", "staff heartbeat"]
    settings.RUN_SWEEPS_IN_PROCESS = True
    assert set(names(settings)) >= {
        "resident heartbeat",
        "staff heartbeat",
        "expire resident connections",
        "expire staff connections",
        "abandon ghost residents",
        "close waiting in closed services",
    }


def test_the_embedded_setup_runs_the_sweeps_in_process():
    """Eager Celery (no beat) is the embedded default; RUN_SWEEPS_IN_PROCESS follows it."""
    from chatservice import settings as project_settings

    assert project_settings.RUN_SWEEPS_IN_PROCESS == project_settings.CELERY_TASK_ALWAYS_EAGER


async def test_a_round_refreshes_this_process_and_sweeps(settings):
    settings.RUN_SWEEPS_IN_PROCESS = True
    ghost = await database_sync_to_async(ConversationFactory)(created_at=T0)
    user = await database_sync_to_async(UserFactory)()

    @database_sync_to_async
    def rows():
        StaffConnection.objects.create(
            user=user, channel_name="mine", process=connections.PROCESS_ID, last_seen=T0
        )
        StaffConnection.objects.create(
            user=user, channel_name="dead", process="killed", last_seen=T0
        )

    await rows()
    connections.staff_sockets.add("mine", user.pk)
    later = T0 + timedelta(minutes=10)
    await background.Background().run_round(now=later, force=True)

    @database_sync_to_async
    def state():
        ghost.refresh_from_db()
        return ghost.status, dict(StaffConnection.objects.values_list("channel_name", "last_seen"))

    assert await state() == (ConversationStatus.CLOSED, {"mine": later})


async def test_only_due_jobs_run(settings, monkeypatch):
    settings.RUN_SWEEPS_IN_PROCESS = True
    ran: list[str] = []

    async def record(job, now):
        ran.append(job.name)

    monkeypatch.setattr(background, "run_job", record)
    loop = background.Background()
    await loop.run_round()
    assert "resident heartbeat" in ran and "abandon ghost residents" in ran
    ran.clear()
    await loop.run_round()
    assert ran == []  # nothing is due again within its interval


async def test_one_failing_job_neither_stops_the_round_nor_the_loop(settings, monkeypatch, caplog):
    settings.RUN_SWEEPS_IN_PROCESS = True
    conversation = await database_sync_to_async(ConversationFactory)(created_at=T0)

    def broken(*, now):
        raise RuntimeError("a bug")

    monkeypatch.setattr("conversations.sweeps.expire_resident_connections", broken)
    loop = background.Background()
    for _ in range(2):
        await loop.run_round(now=T0 + timedelta(hours=1), force=True)

    @database_sync_to_async
    def closed():
        conversation.refresh_from_db()
        return conversation.status == ConversationStatus.CLOSED

    assert await closed()  # the ghost sweep after the broken one still ran
    assert caplog.text.count("background job 'expire resident connections' failed") == 2


async def test_the_database_down_is_logged_once_with_its_duration(settings, monkeypatch, caplog):
    settings.RUN_SWEEPS_IN_PROCESS = False
    caplog.set_level(logging.WARNING)

    def down(*, now):
        raise OperationalError("connection refused")

    monkeypatch.setattr("conversations.actions.connections.refresh_resident_connections", down)
    monkeypatch.setattr("staff.actions.refresh_staff_connections", down)
    loop = background.Background()
    for _ in range(3):
        await loop.run_round(force=True)
    warnings = [r for r in caplog.records if r.name == "conversations.outages"]
    assert [r.getMessage().split(" (")[0] for r in warnings] == ["database unavailable"]
    assert not any(r.exc_info for r in caplog.records)  # no tracebacks

    monkeypatch.undo()
    await loop.run_round(force=True)
    lines = [r.getMessage() for r in caplog.records if r.name == "conversations.outages"]
    assert len(lines) == 2 and lines[1].startswith("database available again after")
    assert "(6 failed attempts)" in lines[1]  # both heartbeats in three rounds


async def test_start_background_is_lazy_once_per_loop_and_can_be_off(settings):
    settings.BACKGROUND_LOOP = False
    background.start_background()
    assert asyncio.get_running_loop() not in background._running
    settings.BACKGROUND_LOOP = True
    settings.RUN_SWEEPS_IN_PROCESS = False
    background.start_background()
    task = background._running[asyncio.get_running_loop()]
    background.start_background()
    assert background._running[asyncio.get_running_loop()] is task
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def test_resident_rows_are_refreshed_by_the_heartbeat(conversation):
    """Sanity check of the job the loop runs (see tests/conversations/test_connections.py)."""
    ResidentConnection.objects.create(
        conversation=conversation, channel_name="mine", process=connections.PROCESS_ID, last_seen=T0
    )
    connections.resident_sockets.add("mine", conversation.pk)
    (heartbeat, _) = background.jobs()[:2]
    heartbeat.run(T0 + timedelta(minutes=1))
    assert ResidentConnection.objects.get().last_seen == T0 + timedelta(minutes=1)
