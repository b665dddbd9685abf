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
revision, however many of its sockets ask.

And the revision reaches a process once, not once per waiting resident: each
process has one subscriber (`QueueHub`, one per event loop) to the queue groups
of the services where it has waiting residents. Per service it looks at the
newest order at most once per POSITION_INTERVAL (the first change at once, later
ones folded into one look at the newest), finds each of its residents' places
in O(1), and sends a `queue.position` only to those whose place changed. A claim
therefore costs one channel-layer message per process, and at most one frame
per resident per second, however long the queue.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from channels.db import database_sync_to_async
from channels.layers import BaseChannelLayer, get_channel_layer

from conversations import outages, selectors
from conversations.events import QueueChanged

logger = logging.getLogger(__name__)

# At most one queue.position per resident socket this often (seconds).
POSITION_INTERVAL = 1.0
# Snapshots kept per service (a socket asks for the newest revision it heard of).
KEEP = 8


def queue_group(service_id: int) -> str:
    """The queue changes of one service: each process's hub, never a socket."""
    return f"queue.{service_id}"


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
    """One waiting resident's `queue.position` frames: their own place in each
    order the hub offers, when it changed."""

    def __init__(self, conversation_id: int, send: Callable[[int, int], Awaitable[None]]) -> None:
        self.conversation_id = conversation_id
        self.send = send  # (position, waiting) -> sends the frame
        self.position: int | None = None

    def reset(self) -> None:
        """The conversation joined a queue anew: the next position is news."""
        self.position = None

    async def offer(self, order: Snapshot) -> None:
        position = order.positions.get(self.conversation_id)
        if position is None or position == self.position:
            return
        self.position = position
        await self.send(position, order.waiting)


class QueueHub:
    """This event loop's one subscriber to the queue groups: it hears each new
    order once and offers it to its waiting residents' feeds, per service at
    most once per POSITION_INTERVAL and one offer at a time (so that a resident
    never gets an older place after a newer one). Feeds are held weakly: a
    socket that ended without its disconnect does not stay here."""

    def __init__(self, layer: BaseChannelLayer) -> None:
        self.layer = layer
        # service -> its residents' feeds (weakly: a dead socket drops out)
        self.feeds: dict[int, weakref.WeakSet[PositionFeed]] = {}
        self.channel: str | None = None
        self.reader: asyncio.Task | None = None
        self.opening = asyncio.Lock()
        self.heard: dict[int, tuple[str, float]] = {}  # service -> revision, heard at
        self.looked_at: dict[int, float] = {}  # service -> when its order was last offered
        self.due: set[int] = set()  # services with an offer scheduled
        self.offering: dict[int, asyncio.Lock] = {}
        self.retrying: set[int] = set()  # services whose subscription is being retried
        self.tasks: set[asyncio.Task] = set()

    async def watch(self, service_id: int, feed: PositionFeed) -> None:
        """Offer `feed` the service's orders from now on. Never raises: with the
        layer down, the subscription is retried every second in the background
        (positions are a courtesy; the socket itself stays)."""
        self.feeds.setdefault(service_id, weakref.WeakSet()).add(feed)
        try:
            await self._subscribe(service_id)
        except Exception as exc:
            if not outages.note(exc):
                logger.warning("subscribing to a queue's changes failed")
            self._retry(service_id)

    async def _subscribe(self, service_id: int) -> None:
        async with self.opening:  # one channel, however many residents connect at once
            if self.channel is None:
                channel = await self.layer.new_channel("queues.")
                self.channel = channel
                self.reader = asyncio.get_running_loop().create_task(self._read(channel))
        # Every time: cheap, and it renews a membership the layer would let expire.
        await self.layer.group_add(queue_group(service_id), self.channel)

    def _retry(self, service_id: int) -> None:
        if service_id in self.retrying:
            return
        self.retrying.add(service_id)

        async def again() -> None:
            try:
                while self.feeds.get(service_id):  # until nobody here waits for it
                    await asyncio.sleep(1.0)
                    try:
                        await self._subscribe(service_id)
                        return
                    except Exception as exc:
                        outages.note(exc)
            finally:
                self.retrying.discard(service_id)

        task = asyncio.get_running_loop().create_task(again())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def unwatch(self, service_id: int, feed: PositionFeed) -> None:
        feeds = self.feeds.get(service_id)
        if feeds is not None:
            feeds.discard(feed)

    async def _read(self, channel: str) -> None:
        while True:
            try:
                message = await self.layer.receive(channel)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the layer is down: the feeds wait for it
                if not outages.note(exc):
                    logger.warning("reading queue changes failed")
                await asyncio.sleep(1.0)
                continue
            if message.get("type") == "queue.changed":
                self.changed(message["service"], message["revision"])

    def changed(self, service_id: int, revision: str) -> None:
        self.heard[service_id] = (revision, time.monotonic())
        if service_id in self.due:
            return  # the scheduled offer takes the newest order
        self.due.add(service_id)
        wait = self.looked_at.get(service_id, float("-inf")) + POSITION_INTERVAL - time.monotonic()
        loop = asyncio.get_running_loop()
        if wait > 0:
            loop.call_later(wait, self._start_offer, service_id)
        else:
            self._start_offer(service_id)

    def _start_offer(self, service_id: int) -> None:
        task = asyncio.get_running_loop().create_task(self._offer(service_id))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _offer(self, service_id: int) -> None:
        async with self.offering.setdefault(service_id, asyncio.Lock()):
            # The newest order heard by now: offers run one after another, each
            # with an order at least as new as the one before.
            self.due.discard(service_id)
            self.looked_at[service_id] = time.monotonic()
            feeds = self.feeds.get(service_id)
            if not feeds:
                return
            try:
                order = await snapshot(service_id, *self.heard[service_id])
            except Exception as exc:  # the database is down: the next change tries again
                if not outages.note(exc):
                    logger.warning("reading a queue's order failed")
                return
            for feed in list(feeds):
                try:
                    await feed.offer(order)
                except Exception:  # that socket is closing; the others go on
                    self.unwatch(service_id, feed)


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, QueueHub] = weakref.WeakKeyDictionary()


def hub() -> QueueHub:
    """This event loop's hub (a new one when the channel layer changed)."""
    loop = asyncio.get_running_loop()
    layer = get_channel_layer()
    found = _hubs.get(loop)
    if found is None or found.layer is not layer:
        if found is not None and found.reader is not None:
            found.reader.cancel()
        found = _hubs[loop] = QueueHub(layer)
    return found
