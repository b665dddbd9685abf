"""Queue positions for waiting residents, at a cost that does not grow with the
square of the queue.

Before, every change of a queue's order (a claim, a new resident, one leaving)
sent the whole order, a list of every waiting conversation's id, to every
waiting resident's socket, and each socket searched it for its own id: with
2,000 waiting that is 2,000 copies of a 2,000-element list per claim (the
in-memory layer deep-copies each message per socket), and 2,000 frames per
claim when twenty professionals claim at once.

Now the channel-layer message names only the service and a revision. The order
itself is a `Snapshot` kept once per process: the process that published the
change has it already; any other process reads it from the database once per
revision, however many of its sockets ask. Each socket finds its own place in
O(1), and `PositionFeed` sends a resident at most one `queue.position` per
POSITION_INTERVAL (the first change at once, later ones folded into one frame
with the newest position).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from channels.db import database_sync_to_async

from conversations import selectors
from conversations.events import QueueChanged

# At most one queue.position per resident socket this often (seconds).
POSITION_INTERVAL = 1.0
# Snapshots kept per service (a socket asks for the newest revision it heard of).
KEEP = 8


@dataclass(frozen=True)
class Snapshot:
    """One queue order: conversation id -> place (1 = next), and its length."""

    positions: dict[int, int]
    waiting: int

    @classmethod
    def of(cls, waiting: list[int]) -> Snapshot:
        return cls(positions={cid: i for i, cid in enumerate(waiting, 1)}, waiting=len(waiting))


_snapshots: dict[int, OrderedDict[str, Snapshot]] = {}
_lock = threading.Lock()  # written from the database thread, read from the event loop
_revisions = itertools.count(1)
# Revisions published by this process start with this.
_LOCAL = f"{os.getpid()}."
# Per service: the newest order this process published.
_newest_local: dict[int, Snapshot] = {}
# Per service: the newest order read from the database, and when that read began.
_loaded: dict[int, tuple[float, Snapshot]] = {}
# Per event loop and service: the read in flight (when it began, for which revision).
_loading: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[int, tuple[float, str, asyncio.Task]]
] = weakref.WeakKeyDictionary()


def remember(service_id: int, revision: str, waiting: list[int]) -> Snapshot:
    snapshot = Snapshot.of(waiting)
    with _lock:
        kept = _snapshots.setdefault(service_id, OrderedDict())
        kept[revision] = snapshot
        while len(kept) > KEEP:
            kept.popitem(last=False)
    return snapshot


def layer_message(event: QueueChanged) -> dict[str, Any]:
    """The channel-layer message for a new queue order: the order stays here."""
    revision = f"{_LOCAL}{next(_revisions)}"
    # Computed in the action's transaction; the layer message leaves after its commit.
    _newest_local[event.service] = remember(event.service, revision, event.waiting)
    return {
        "type": event.type,
        "service": event.service,
        "revision": revision,
        "minutes_per_position": event.minutes_per_position,
    }


async def snapshot(service_id: int, revision: str, heard_at: float | None = None) -> Snapshot:
    """The queue order of `revision` (heard of at `heard_at`, monotonic), or one
    at least as new. Published here: kept, or if already dropped, the newest
    kept order (newer than the dropped one). Published by another process: read
    from the database once per revision, and not again when a read that started
    after the revision was heard of is running or done."""
    heard_at = time.monotonic() if heard_at is None else heard_at
    with _lock:
        kept = _snapshots.get(service_id)
        if kept:
            found = kept.get(revision)
            if found is not None:
                return found
        if revision.startswith(_LOCAL) and service_id in _newest_local:
            # Dropped already: a later order of this process is at least as new.
            return _newest_local[service_id]
        loaded = _loaded.get(service_id)
        if loaded is not None and loaded[0] >= heard_at:
            return loaded[1]
    loop = asyncio.get_running_loop()
    loading = _loading.setdefault(loop, {})
    current = loading.get(service_id)
    if current is None or (current[0] < heard_at and current[1] != revision):
        started = time.monotonic()
        task = loop.create_task(_load(service_id, revision, started))
        current = loading[service_id] = (started, revision, task)

        def done(_task: asyncio.Task, entry=current) -> None:
            if loading.get(service_id) is entry:
                loading.pop(service_id, None)

        task.add_done_callback(done)
    return await asyncio.shield(current[2])


async def _load(service_id: int, revision: str, started: float) -> Snapshot:
    waiting = await database_sync_to_async(selectors.waiting_ids)(service_id=service_id)
    snapshot = remember(service_id, revision, waiting)
    with _lock:
        if service_id not in _loaded or _loaded[service_id][0] < started:
            _loaded[service_id] = (started, snapshot)
    return snapshot


class PositionFeed:
    """One waiting resident's `queue.position` frames: their own place in the
    newest order heard, at most one frame per POSITION_INTERVAL."""

    def __init__(
        self,
        conversation_id: int,
        send: Callable[[int, int], Awaitable[None]],
        wake: Callable[[], None],
    ) -> None:
        self.conversation_id = conversation_id
        self.send = send  # (position, waiting) -> sends the frame
        self.wake = wake  # asks for `flush` to run in turn with the socket's events
        self.position: int | None = None
        self.latest: tuple[int, str, float] | None = None  # service, revision, heard at
        self.sent_at = float("-inf")
        self.flush_pending = False

    def reset(self) -> None:
        """The conversation joined a queue anew: the next position is news."""
        self.position = None

    async def changed(self, service_id: int, revision: str) -> None:
        self.latest = (service_id, revision, time.monotonic())
        if self.flush_pending:
            return  # the pending flush sends the newest order
        wait = self.sent_at + POSITION_INTERVAL - time.monotonic()
        if wait > 0:
            self.flush_pending = True
            asyncio.get_running_loop().call_later(wait, self.wake)
            return
        await self.flush()

    async def flush(self) -> None:
        self.flush_pending = False
        if self.latest is None:
            return
        order = await snapshot(*self.latest)
        position = order.positions.get(self.conversation_id)
        if position is None or position == self.position:
            return
        self.position = position
        self.sent_at = time.monotonic()
        await self.send(position, order.waiting)
