"""The periodic loop inside each ASGI process.

Started lazily by the ASGI application on its first call in a process
(`start_background`, once per event loop). Every round it runs what is due:

- always, the process heartbeat: refresh the connection rows of this process's
  sockets (conversations.connections) — only the process itself can say that
  its sockets are alive;
- when Celery beat is not in use (`RUN_SWEEPS_IN_PROCESS`, by default in the
  embedded setup with eager Celery), the sweeps that beat runs in production:
  expire connection rows of dead processes, abandon ghost residents, close the
  queue of closed services;
- a probe of the channel layer, which ends a logged outage.

Any exception is caught and logged and the loop goes on: one bad round never
stops it. An outage of the database or the channel layer is logged once
(conversations.outages), not once per round.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.utils import timezone

from conversations import outages, realtime

logger = logging.getLogger(__name__)

# How often the loop wakes to see what is due; shorter while something is down.
TICK_SECONDS = 5.0
PROBE_TIMEOUT_SECONDS = 2.0
PROBE_GROUP = "outages.probe"


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[datetime], object]  # synchronous; runs in the database thread
    every: float  # seconds


def jobs() -> list[Job]:
    """What this process runs, read from the settings when called."""
    from closing import retention
    from closing import sweeps as closing_sweeps
    from conversations import sweeps
    from conversations.actions import connections as resident_connections
    from identity import actions as identity_actions
    from notify import sweeps as notify_sweeps
    from staff import actions as staff_actions
    from video import actions as video_actions

    heartbeat = float(settings.CONNECTION_HEARTBEAT_SECONDS)
    found = [
        Job(
            "resident heartbeat",
            lambda now: resident_connections.refresh_resident_connections(now=now),
            heartbeat,
        ),
        Job(
            "staff heartbeat",
            lambda now: staff_actions.refresh_staff_connections(now=now),
            heartbeat,
        ),
    ]
    if settings.RUN_SWEEPS_IN_PROCESS:
        sweep = float(settings.SWEEP_INTERVAL_SECONDS)
        found += [
            Job(
                "expire resident connections",
                lambda now: sweeps.expire_resident_connections(now=now),
                sweep,
            ),
            Job(
                "expire staff connections",
                lambda now: staff_actions.expire_staff_connections(now=now),
                sweep,
            ),
            Job(
                "abandon ghost residents",
                lambda now: sweeps.abandon_ghost_residents(now=now),
                sweep,
            ),
            Job(
                "close waiting in closed services",
                lambda now: sweeps.close_waiting_in_closed_services(now=now),
                max(sweep, 60.0),
            ),
            Job(
                "expire identification requests",
                lambda now: identity_actions.expire_identification_requests(now=now),
                max(sweep, 30.0),
            ),
            Job(
                "expire video requests",
                lambda now: video_actions.expire_requests(now=now),
                sweep,
            ),
            Job(
                "flag idle conversations",
                lambda now: closing_sweeps.flag_idle_conversations(now=now),
                max(sweep, 60.0),
            ),
            Job(
                "text messages after a disconnect",
                lambda now: notify_sweeps.notify_after_disconnect(now=now),
                sweep,
            ),
            Job(
                "retention purge",
                lambda now: retention.purge_expired(now=now),
                float(settings.RETENTION_PURGE_INTERVAL_SECONDS),
            ),
        ]
    return found


class Background:
    """The loop's state: when each job last ran (monotonic seconds)."""

    def __init__(self) -> None:
        self.last_run: dict[str, float] = {}
        self.last_probe = 0.0

    async def run_round(self, *, now: datetime | None = None, force: bool = False) -> None:
        """Run every job that is due (all of them with `force`), then probe the layer."""
        clock = time.monotonic()
        for job in jobs():
            if not force and clock - self.last_run.get(job.name, -job.every) < job.every:
                continue
            self.last_run[job.name] = clock
            await run_job(job, now or timezone.now())
        if force or outages.channel_layer.down or clock - self.last_probe >= TICK_SECONDS * 6:
            self.last_probe = clock
            await probe_channel_layer()

    async def run(self) -> None:
        # Events published by the jobs' actions go through this loop's publisher.
        realtime.server_loop.set(asyncio.get_running_loop())
        while True:
            try:
                await self.run_round()
            except Exception:
                logger.exception("background round failed")
            await asyncio.sleep(TICK_SECONDS)


async def run_job(job: Job, now: datetime) -> None:
    try:
        await database_sync_to_async(job.run)(now)
    except Exception as exc:
        if not outages.note(exc):
            logger.exception("background job %r failed", job.name)
        return
    outages.database.recovered()


async def probe_channel_layer() -> None:
    """One publish to a group nobody joins: ends (or notices) a layer outage."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        await asyncio.wait_for(
            layer.group_send(PROBE_GROUP, {"type": "outage.probe"}), PROBE_TIMEOUT_SECONDS
        )
    except Exception as exc:
        outages.channel_layer.failed(exc)
        return
    outages.channel_layer.recovered()


_running: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Task] = (
    weakref.WeakKeyDictionary()
)


def start_background(loop: asyncio.AbstractEventLoop | None = None) -> None:
    """Start this process's loop on `loop` (the running one by default), once.
    Cheap to call on every ASGI call. Off with BACKGROUND_LOOP=False (tests)."""
    if not settings.BACKGROUND_LOOP:
        return
    loop = loop or asyncio.get_running_loop()
    task = _running.get(loop)
    if task is not None and not task.done():
        return
    _running[loop] = loop.create_task(Background().run(), name="chatservice-background")
