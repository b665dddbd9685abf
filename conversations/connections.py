"""Which sockets are open, across server processes that may die without saying so.

Every open socket has a row (residents: `ResidentConnection`; staff:
`staff.StaffConnection`) that names the process holding it. Each process keeps
its own sockets in memory (`LocalSockets`) and, on a timer, refreshes
`last_seen` of all its rows in one UPDATE (`refresh`, run by
chatservice/background.py): a dashboard that only listens stays present, and
closing one of two tabs leaves the other's row fresh. A process killed with
`kill -9` stops refreshing; a sweep expires its rows once they are older than
CONNECTION_STALE_SECONDS, and the owner's presence follows.
"""

from __future__ import annotations

import logging
import threading
import uuid
import weakref
from collections.abc import Callable
from datetime import datetime, timedelta

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import models
from django.utils import timezone

from conversations import outages

logger = logging.getLogger(__name__)

# This server process. Connection rows carry it so that a process refreshes
# exactly its own rows; a new process (restart) gets a new id.
PROCESS_ID = uuid.uuid4().hex


def stale_before(now: datetime | None = None) -> datetime:
    """Rows last refreshed before this belong to a process that stopped refreshing."""
    return (now or timezone.now()) - timedelta(seconds=settings.CONNECTION_STALE_SECONDS)


class LocalSockets:
    """The sockets this process holds: channel name → owner (a conversation id or
    a user id), each with a weak reference to its consumer. The database rows
    are reconciled with it on every refresh, so a row whose insert or delete
    failed (database down) is put right later, and a consumer that died without
    its disconnect handler (an exception inside the application) drops out."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: dict[str, tuple[int, Callable[[], object] | None]] = {}

    def add(self, channel_name: str, owner: int, holder: object | None = None) -> None:
        ref = weakref.ref(holder) if holder is not None else None
        with self._lock:
            self._sockets[channel_name] = (owner, ref)

    def discard(self, channel_name: str) -> None:
        with self._lock:
            self._sockets.pop(channel_name, None)

    def snapshot(self) -> dict[str, int]:
        """The live sockets; entries whose consumer is gone are dropped."""
        with self._lock:
            dead = [c for c, (_, ref) in self._sockets.items() if ref is not None and ref() is None]
            for channel_name in dead:
                del self._sockets[channel_name]
            return {c: owner for c, (owner, _) in self._sockets.items()}

    def clear(self) -> None:
        with self._lock:
            self._sockets.clear()

    def __len__(self) -> int:
        return len(self.snapshot())


# The sockets of this process: residents' by conversation id, professionals' by user id.
resident_sockets = LocalSockets()
staff_sockets = LocalSockets()


async def track_resident(consumer, *, conversation_id: int) -> None:
    """The consumer hook for a resident socket that joined its conversation."""
    from conversations.actions.connections import resident_socket_opened

    await track(
        resident_sockets,
        consumer,
        conversation_id,
        lambda: resident_socket_opened(
            conversation_id=conversation_id, channel_name=consumer.channel_name
        ),
    )


async def untrack_resident(consumer, *, conversation_id: int) -> None:
    """The consumer hook for a resident socket that closed. Never raises: the
    rest of the disconnect goes on, and a row left behind is removed by the
    next refresh."""
    from conversations.actions.connections import resident_socket_closed

    await untrack(
        resident_sockets,
        consumer,
        lambda: resident_socket_closed(
            conversation_id=conversation_id, channel_name=consumer.channel_name
        ),
    )


async def track(local: LocalSockets, consumer, owner: int, write: Callable[[], object]) -> None:
    # Known locally before the row exists, so a refresh in between re-creates
    # the row instead of removing it; forgotten again if the write fails.
    local.add(consumer.channel_name, owner, holder=consumer)
    try:
        await database_sync_to_async(write)()
    except BaseException:
        local.discard(consumer.channel_name)
        raise


async def untrack(local: LocalSockets, consumer, write: Callable[[], object]) -> None:
    local.discard(consumer.channel_name)
    try:
        await database_sync_to_async(write)()
    except Exception as exc:
        if not outages.note(exc):
            logger.exception("forgetting a socket failed")


def refresh(
    *,
    model: type[models.Model],
    local: LocalSockets,
    owner_field: str,
    opened: Callable[[str, int], object],
    closed: Callable[[str, int], object],
    now: datetime | None = None,
) -> int:
    """Mark every row of this process as seen now, in one UPDATE; returns how many.

    Then reconcile the rows with the sockets this process holds: a row with no
    socket behind it (its close failed) is closed, a socket with no row
    (expired during a database outage, or its insert failed) is opened again.
    Both run in the database thread, like the consumers' own calls, so they do
    not interleave with a socket's open or close."""
    now = now or timezone.now()
    rows = model._default_manager.filter(process=PROCESS_ID)
    updated = rows.update(last_seen=now)
    held = dict(rows.values_list("channel_name", owner_field))
    mine = local.snapshot()
    for channel_name, owner in held.items():
        if channel_name not in mine:
            _reconcile(closed, channel_name, owner, "close")
    for channel_name, owner in mine.items():
        if channel_name not in held:
            _reconcile(opened, channel_name, owner, "reopen")
    return updated


def _reconcile(fn: Callable[[str, int], object], channel_name: str, owner: int, what: str) -> None:
    try:
        fn(channel_name, owner)
    except Exception:  # one bad row never stops the rest
        logger.exception("could not %s a connection row", what)


# The `conversation.changed` changes that only say whether the resident is connected.
CONNECTION_CHANGES = frozenset({"resident_connected", "resident_disconnected"})
