"""The one place that publishes to the channel layer, and decides who hears what.

Actions call `publish(event)` inside their transaction; the event is sent only
after the commit, so clients never see rows that do not exist. Delivery over
the layer is best effort: messages are persisted first and a client that
missed something recovers it with `sync` (see docs/protocol.md).
"""

import asyncio
import logging
import weakref

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from conversations.events import (
    ConversationChanged,
    Event,
    MessageNew,
    NoteNew,
    QueueChanged,
    Receipt,
    Typing,
)

logger = logging.getLogger(__name__)


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


def queue_group(service_id: int) -> str:
    """Residents waiting in one service; they hear only queue order changes."""
    return f"queue.{service_id}"


def staff_group(user_id: int) -> str:
    """All sockets of one professional."""
    return f"staff.{user_id}"


def recipients(event: Event) -> list[str]:
    """Who receives an event. Residents' sockets join only their conversation and
    their queue group, so anything routed elsewhere never reaches a resident."""
    if isinstance(event, MessageNew | Typing | Receipt):
        return [conversation_group(event.conversation)]
    if isinstance(event, ConversationChanged):
        summary = event.conversation
        groups = [conversation_group(summary.id), service_group(summary.service)]
        if event.previous_service and event.previous_service != summary.service:
            groups.append(service_group(event.previous_service))
        if summary.assigned_to:
            groups.append(staff_group(summary.assigned_to))
        return groups
    if isinstance(event, NoteNew):
        # The assigned professional hears it even before their socket follows
        # the conversation (a transfer's note arrives with the transfer).
        groups = [conversation_staff_group(event.conversation)]
        if event.assigned_to:
            groups.append(staff_group(event.assigned_to))
        return groups
    if isinstance(event, QueueChanged):
        return [queue_group(event.service)]
    raise TypeError(f"no route for {type(event).__name__}")


def publish(event: Event) -> None:
    """Send `event` to its recipients once the surrounding transaction commits."""
    transaction.on_commit(lambda: send_now(event))


def send_now(event: Event) -> None:
    """Send from synchronous code without waiting for the send.

    Actions run in asgiref's single database thread; waiting there for the event
    loop to finish each group_send would hold up every other conversation's
    writes. The event is handed to one publisher task per event loop, which sends
    in commit order. Outside a server (management commands, tasks) it is sent
    directly."""
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    if loop is None or not loop.is_running():
        async_to_sync(send_now_async)(event)
        return
    loop.call_soon_threadsafe(_enqueue, loop, event)


_publishers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _enqueue(loop: asyncio.AbstractEventLoop, event: Event) -> None:
    queue = _publishers.get(loop)
    if queue is None:
        queue = _publishers[loop] = asyncio.Queue()
        loop.create_task(_publish_in_order(queue))
    queue.put_nowait(event)


async def _publish_in_order(queue: asyncio.Queue) -> None:
    while True:
        await send_now_async(await queue.get())


async def send_now_async(event: Event) -> None:
    """Send immediately; for ephemeral events that have no transaction (typing)."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = event.as_message()
    for group in recipients(event):
        try:
            await layer.group_send(group, message)
        except Exception:  # the layer is down: the data is stored, clients resync
            logger.exception("publishing %s to %s failed", event.type, group)
