"""The one place that publishes to the channel layer, and decides who hears what.

Actions call `publish(event)` inside their transaction. The recipients and the
channel-layer message are computed there and then, so a routing mistake fails
inside the action (and its test), not later in a background task; the send
happens only after the commit, so clients never see rows that do not exist.
Delivery over the layer is best effort: messages are persisted first and a
client that missed something recovers it with `sync` (see docs/protocol.md).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import weakref
from collections import deque
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from chatservice import metrics
from conversations import outages, queueing
from conversations.events import (
    ConversationChanged,
    Event,
    IdentificationChanged,
    IdentityVerified,
    MessageNew,
    NoteNew,
    QueueChanged,
    Receipt,
    SessionEnded,
    ToConversation,
    Typing,
)
from conversations.models import ConversationStatus, EventKind

logger = logging.getLogger(__name__)

# The server's event loop, set by the ASGI entry point (chatservice/asgi.py) for
# everything that runs inside a request or socket. asgiref copies the context into
# its `sync_to_async` threads, so actions running in the database thread find the
# loop here and hand their events to it without waiting.
server_loop: ContextVar[asyncio.AbstractEventLoop | None] = ContextVar("server_loop", default=None)

# A publisher queue longer than this is logged (the layer is slower than the writes).
QUEUE_WARN_AT = 1000


def conversation_group(conversation_id: int) -> str:
    """Both parties of one conversation: the resident and the assigned professional."""
    return f"conversation.{conversation_id}"


def conversation_staff_group(conversation_id: int) -> str:
    """The professionals following one conversation; never the resident. Internal
    notes go here and nowhere else."""
    return f"conversation.{conversation_id}.staff"


def service_group(service_id: int) -> str:
    """Professionals watching one service's queue. Never residents."""
    return f"service.{service_id}"


def staff_group(user_id: int) -> str:
    """All sockets of one professional."""
    return f"staff.{user_id}"


# Changes of an active conversation that its service's other professionals see:
# those that move it into or out of the queue. The rest (the resident's
# connection, identification, video, crisis flags, idle flags, …) are for its
# own parties: with 1,000 conversations in one service, a reconnect storm sent
# every connection flip to every professional's dashboard, which shows only the
# queue and their own chats (docs/benchmarks.md, scenario 4).
QUEUE_CHANGES = frozenset(
    {EventKind.CREATED, EventKind.CLAIMED, EventKind.TRANSFERRED, EventKind.CLOSED}
)


def changes_a_queue(status: str, change: str) -> bool:
    """Whether a conversation's change may move it into or out of a queue (or
    within one): anything but an active chat's inside changes."""
    return status != ConversationStatus.ACTIVE or change in QUEUE_CHANGES


def recipients(event: Event) -> list[str]:
    """Who receives an event. Residents' sockets join only their conversation and
    their queue group, so anything routed elsewhere never reaches a resident."""
    if isinstance(event, MessageNew | Typing | Receipt):
        return [conversation_group(event.conversation)]
    if isinstance(event, ConversationChanged):
        summary = event.conversation
        groups = [conversation_group(summary.id)]
        if changes_a_queue(summary.status, event.change):
            groups.append(service_group(summary.service))
        if event.previous_service and event.previous_service != summary.service:
            groups.append(service_group(event.previous_service))
        if summary.assigned_to:
            groups.append(staff_group(summary.assigned_to))
        return groups
    if isinstance(event, IdentificationChanged | ToConversation):
        return [conversation_group(event.conversation)]
    if isinstance(event, NoteNew | IdentityVerified):
        # The assigned professional hears it even before their socket follows
        # the conversation (a transfer's note arrives with the transfer).
        groups = [conversation_staff_group(event.conversation)]
        if event.assigned_to:
            groups.append(staff_group(event.assigned_to))
        return groups
    if isinstance(event, QueueChanged):
        return [queueing.queue_group(event.service)]
    if isinstance(event, SessionEnded):
        return [staff_group(event.user)]
    raise TypeError(f"no route for {type(event).__name__}")


@dataclass(frozen=True)
class Outgoing:
    """An event ready to send: its channel-layer message and its groups."""

    event: Event
    message: dict[str, Any]
    groups: tuple[str, ...]

    @classmethod
    def of(cls, event: Event) -> Outgoing:
        # A queue's order stays in this process (conversations.queueing): the
        # layer carries only its revision, not a list as long as the queue to
        # every waiting resident.
        message = (
            queueing.layer_message(event) if isinstance(event, QueueChanged) else event.as_message()
        )
        return cls(event=event, message=message, groups=tuple(recipients(event)))


def publish(event: Event) -> None:
    """Send `event` to its recipients once the surrounding transaction commits."""
    outgoing = Outgoing.of(event)
    transaction.on_commit(lambda: send_now(outgoing))


def send_now(outgoing: Outgoing) -> None:
    """Send from synchronous code without waiting for the send.

    Actions run in asgiref's single database thread; waiting there for the event
    loop to finish each group_send would hold up every other conversation's
    writes. Inside the server the event is handed to one publisher task per event
    loop, which sends in commit order. Elsewhere (management commands, Celery
    tasks) it is sent directly."""
    loop = server_loop.get()
    if loop is None or loop.is_closed():
        async_to_sync(_send)(outgoing)
        return
    _inbox_for(loop).put(outgoing)


async def send_now_async(event: Event) -> None:
    """Send immediately from async code; for ephemeral events that have no
    transaction (typing, receipts)."""
    await _send(Outgoing.of(event))


class Inbox:
    """Events handed from the database thread to one event loop. Waking a loop
    from another thread costs a write to its self-pipe and a turn of the loop:
    one wake-up takes everything handed over until it runs (a batch's commit
    publishes one event per message), not one wake-up per event."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.items: deque[Outgoing] = deque()
        self.awake = False

    def put(self, outgoing: Outgoing) -> None:  # any thread
        self.items.append(outgoing)
        if not self.awake:
            self.awake = True
            self.loop.call_soon_threadsafe(self.drain)

    def drain(self) -> None:  # the loop
        # Cleared before taking: an event added from now on either is taken
        # below or wakes the loop again (at worst once for nothing).
        self.awake = False
        publisher = publisher_for(self.loop)
        while self.items:
            publisher.put(self.items.popleft())


class Publisher:
    """One per event loop: sends queued events in order. Any exception is logged
    and the loop goes on with the next event (a dead publisher would silently
    end live delivery for the whole process)."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Outgoing] = asyncio.Queue()
        self.warned = False

    def put(self, outgoing: Outgoing) -> None:
        self.queue.put_nowait(outgoing)
        size = self.queue.qsize()
        if size >= QUEUE_WARN_AT and not self.warned:
            self.warned = True
            logger.warning("realtime publisher queue at %d events", size)
        elif size < QUEUE_WARN_AT // 2:
            self.warned = False

    async def run(self) -> None:
        while True:
            batch = [await self.queue.get()]
            while not self.queue.empty():
                batch.append(self.queue.get_nowait())
            layer = get_channel_layer()
            if hasattr(layer, "group_send_many"):
                await _send_pipelined(layer, batch)
                continue
            # Everything committed meanwhile goes out at once: one chain per group,
            # the chains side by side. Within a group the events keep their commit
            # order (a socket hears each group's events in order, as before); only
            # different groups no longer wait for each other, so one publisher no
            # longer caps a busy process at one group_send at a time.
            chains: dict[str, list[Outgoing]] = {}
            for outgoing in batch:
                if len(outgoing.groups) == 1:
                    chains.setdefault(outgoing.groups[0], []).append(outgoing)
                    continue
                for group in outgoing.groups:
                    chains.setdefault(group, []).append(replace(outgoing, groups=(group,)))
            if len(chains) == 1:
                await _send_chain(*chains.values())
            else:
                await asyncio.gather(*(_send_chain(chain) for chain in chains.values()))


_publishers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Publisher] = (
    weakref.WeakKeyDictionary()
)
_tasks: set[asyncio.Task] = set()


def publisher_for(loop: asyncio.AbstractEventLoop) -> Publisher:
    publisher = _publishers.get(loop)
    if publisher is None:
        publisher = _publishers[loop] = Publisher()
        task = loop.create_task(publisher.run())
        _tasks.add(task)  # keep a reference: the loop holds tasks only weakly
        task.add_done_callback(_tasks.discard)
    return publisher


_inboxes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Inbox] = weakref.WeakKeyDictionary()
_inbox_lock = threading.Lock()


def _inbox_for(loop: asyncio.AbstractEventLoop) -> Inbox:
    inbox = _inboxes.get(loop)
    if inbox is None:
        with _inbox_lock:
            inbox = _inboxes.get(loop)
            if inbox is None:
                inbox = _inboxes[loop] = Inbox(loop)
    return inbox


async def _send_chain(chain: list[Outgoing]) -> None:
    """One group's events in order. Any exception is logged and the next event
    goes on (a dead publisher would silently end live delivery for the process)."""
    for outgoing in chain:
        try:
            await _send(outgoing)
        except Exception:
            metrics.PUBLISH_FAILURES.inc()
            logger.exception("publishing %s failed", outgoing.event.type)


async def _send_pipelined(layer: Any, batch: list[Outgoing]) -> None:
    """Everything committed meanwhile in one pipeline, in commit order
    (conversations.layers): one round trip instead of one per event and group."""
    sends = [(group, outgoing.message) for outgoing in batch for group in outgoing.groups]

    def refused(index: int, exc: Exception) -> None:  # that one is left out, not the batch
        metrics.PUBLISH_FAILURES.inc()
        logger.error("publishing %s failed (%s)", sends[index][1]["type"], type(exc).__name__)

    try:
        await layer.group_send_many(sends, refused)
    except Exception as exc:  # the layer is down: the data is stored, clients resync
        metrics.PUBLISH_FAILURES.inc()
        if not outages.note(exc):
            logger.warning("publishing %d events failed", len(batch))


async def _send(outgoing: Outgoing) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    for group in outgoing.groups:
        try:
            await layer.group_send(group, outgoing.message)
        except Exception as exc:  # the layer is down: the data is stored, clients resync
            metrics.PUBLISH_FAILURES.inc()
            if not outages.note(exc):
                logger.warning(
                    "publishing %s to %s failed", outgoing.event.type, group.split(".")[0]
                )
