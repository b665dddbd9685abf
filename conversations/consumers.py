"""Mechanics shared by the resident and the staff socket.

A consumer parses a frame, checks who may send it (each handler declares its
`Access`, checked in `authorize`), calls an action or a selector through
`database_sync_to_async`, and answers with frames from `conversations.frames`.
It also turns channel-layer events into frames for its own audience.

Delivery promise (docs/protocol.md): each socket gets every message of a
conversation it follows once, in `seq` order. When a socket starts following a
conversation, live messages are held back until the client's `sync` for it
(which says where the client is) or until HOLD_SECONDS pass; then the gap is
filled from the database. A live message that arrives out of order waits up to
REORDER_SECONDS for the ones before it (another server process publishes them:
they are usually milliseconds behind); only what is still missing then is read
from the database.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from pydantic import TypeAdapter

from conversations import actions, frames, outages, realtime, selectors
from conversations.actions.messages import MessageRequest
from conversations.errors import DomainError
from conversations.events import Receipt, Typing
from conversations.models import ActorKind
from conversations.protocol import (
    Access,
    Frame,
    MessageReceived,
    MessageSend,
    Ping,
    ProtocolError,
    SyncRequest,
    TypingFrame,
    parse_frame,
)
from conversations.ratelimit import TokenBucket, conversation_bucket
from conversations.writer import writer

logger = logging.getLogger(__name__)

# Close codes (docs/protocol.md).
CLOSE_UNAUTHENTICATED = 4401
CLOSE_NO_CONVERSATION = 4404
# "Try again later". Not 1013: daphne (autobahn) lets a server close only with 1000
# or 3000–4999, and raises on anything else.
CLOSE_TRY_AGAIN_LATER = 4503

# Live messages wait this long for the client's first `sync` of a conversation.
HOLD_SECONDS = 5.0
# A live message ahead of a gap waits this long for the missing ones to arrive
# over the layer before they are read from the database, and at most
# REORDER_LIMIT messages wait per conversation.
REORDER_SECONDS = 0.5
REORDER_LIMIT = 200

# In the socket's language (send_error renders them under its translation).
PROTOCOL_ERRORS = {
    "invalid_json": _("The frame is not valid JSON."),
    "invalid_frame": _("The frame is missing fields or has fields it may not have."),
    "unknown_type": _("Unknown frame type."),
    "frame_too_large": _("The frame is too large."),
    "binary_not_supported": _("Binary frames are not supported."),
    "not_found": _("No such conversation, or not yours."),
    "rate_limited": _("Too many at once; wait a moment and try again."),
    "server_error": _("Something went wrong; please try again."),
}

Handler = Callable[[Any, Any, int | None], Awaitable[None]]


def handles(frame_type: type[Frame], access: Access, *, limited: bool = False):
    """Declare a handler for an inbound frame type and who may send it. `limited`
    frames count against the socket's and the conversation's rate limits."""

    def mark(handler: Handler) -> Handler:
        handler.handles = (frame_type, access, limited)  # type: ignore[attr-defined]
        return handler

    return mark


# Files shown as messages, by seq, for a conversation's messages (set by the
# sockets above the core: the attachments app is not the core's to import).
AttachmentLookup = Callable[..., dict[int, dict[str, Any]]]


@database_sync_to_async
def _messages_after(
    conversation_id: int, after_seq: int, limit: int, attachments: AttachmentLookup | None = None
) -> list[frames.MessageNew]:
    events = selectors.messages_after(
        conversation_id=conversation_id, after_seq=after_seq, limit=limit
    )
    files = (
        attachments(conversation_id=conversation_id, seqs=[e.seq for e in events])
        if attachments is not None and events
        else {}
    )
    return [
        frames.MessageNew(**{**event.fields(), "attachment": files.get(event.seq)})
        for event in events
    ]


class ChatConsumer(AsyncWebsocketConsumer):
    """Base for one socket of one page. Subclasses set `inbound`, `frame_types`
    and `actor_kind`, implement `authorize` and `setup`, and declare a handler
    for every frame type they accept (checked when the class is created)."""

    inbound: TypeAdapter
    frame_types: ClassVar[tuple[type[Frame], ...]] = ()
    actor_kind: ActorKind
    handlers: ClassVar[dict[type[Frame], tuple[str, Access, bool]]] = {}
    # How replayed messages find their files (attachments.selectors.infos_by_seq).
    attachment_lookup: ClassVar[AttachmentLookup | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        handlers: dict[type[Frame], tuple[str, Access, bool]] = {}
        for klass in reversed(cls.__mro__):
            for name, attribute in vars(klass).items():
                spec = getattr(attribute, "handles", None)
                if spec is not None:
                    handlers[spec[0]] = (name, spec[1], spec[2])
        cls.handlers = handlers
        missing = [t.__name__ for t in cls.frame_types if t not in handlers]
        if missing:
            raise TypeError(f"{cls.__name__}: no declared handler for {', '.join(missing)}")

    async def connect(self) -> None:
        self.language = settings.LANGUAGE_CODE
        # conversation id -> highest seq sent to this socket, for followed conversations
        self.delivered: dict[int, int] = {}
        # conversation id -> when its live messages started being held back
        self.holding: dict[int, float] = {}
        # conversation id -> live messages ahead of a gap, by seq (see message_new)
        self.ahead: dict[int, dict[int, dict[str, Any]]] = {}
        self.gap_since: dict[int, float] = {}  # conversation id -> when its gap opened
        # conversation id -> the seq live delivery started from when the hold ran
        # out before the client's sync (see on_sync)
        self.released: dict[int, int] = {}
        self.joined: set[str] = set()
        self.seen_events: deque[str] = deque(maxlen=256)
        self.bucket = TokenBucket(
            rate=settings.CHAT_RATE_PER_SECOND, burst=settings.CHAT_RATE_BURST
        )
        try:
            await self.setup()
        except Exception:
            # The database or the channel layer is down: a clear close, not a 500.
            logger.warning("socket setup failed; refusing the socket for now", exc_info=False)
            await self.accept()
            await self.close(code=CLOSE_TRY_AGAIN_LATER)

    async def setup(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels' dispatch without its hop into the database thread.

        Channels (4.2+) calls `close_old_connections` in the database thread
        before every message a consumer handles: every frame in and every
        channel-layer event, so each delivered `message.new` waited for that one
        thread, behind the writes (11.8 % of the server's samples at saturation,
        and one wake-up of the loop each). These sockets touch the database only
        through `database_sync_to_async`, which closes stale connections itself
        around each call."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def disconnect(self, code: int) -> None:
        for group in list(self.joined):
            try:
                await self.leave(group)
            except Exception:  # the layer is down; its groups expire by themselves
                logger.warning("leaving a group failed")
                break

    # --- groups -------------------------------------------------------------
    async def join(self, group: str) -> None:
        if group not in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
            self.joined.add(group)

    async def leave(self, group: str) -> None:
        if group in self.joined:
            self.joined.discard(group)
            await self.channel_layer.group_discard(group, self.channel_name)

    async def watch_conversation(self, conversation_id: int, last_seq: int) -> None:
        """Start following a conversation whose messages up to `last_seq` exist;
        live messages are held until the client's sync (or HOLD_SECONDS)."""
        if conversation_id in self.delivered:
            return
        self.delivered[conversation_id] = last_seq
        self.holding[conversation_id] = time.monotonic()
        await self.join(realtime.conversation_group(conversation_id))
        asyncio.get_running_loop().call_later(
            HOLD_SECONDS, self._later, "hold.release", conversation_id
        )

    def _later(self, kind: str, conversation_id: int) -> None:
        """A timer's turn for `hold.release` or `gap.fill`: through the layer, so
        that it runs in turn with this socket's other events; only while it is
        still due, and again a second later if the layer refused it (a full
        channel), so that a held message never waits for good."""
        waiting = self.holding if kind == "hold.release" else self.gap_since
        if conversation_id not in waiting:
            return  # the sync came, or the gap closed, or the socket stopped following

        def sent(task: asyncio.Task) -> None:
            if not task.cancelled() and task.exception() is not None:
                asyncio.get_running_loop().call_later(1.0, self._later, kind, conversation_id)

        message = {"type": kind, "conversation": conversation_id}
        asyncio.ensure_future(
            self.channel_layer.send(self.channel_name, message)
        ).add_done_callback(sent)

    async def unwatch_conversation(self, conversation_id: int) -> None:
        if conversation_id in self.ahead:
            # What this socket heard before it stops following goes out first.
            await self._fill_gap(conversation_id)
        self.delivered.pop(conversation_id, None)
        self.holding.pop(conversation_id, None)
        self.ahead.pop(conversation_id, None)
        self.gap_since.pop(conversation_id, None)
        self.released.pop(conversation_id, None)
        await self.leave(realtime.conversation_group(conversation_id))

    # --- sending ------------------------------------------------------------
    async def send_frame(self, frame: frames.OutFrame) -> None:
        await self.send(text_data=frame.render())

    async def send_error(
        self, code: str, message: str = "", *, client_id: str | None = None, **extra: Any
    ) -> None:
        with translation.override(self.language):
            text = str(message or PROTOCOL_ERRORS.get(code, code))
        await self.send_frame(frames.Error(code=code, message=text, client_id=client_id, **extra))

    def is_new_event(self, key: str) -> bool:
        """False for an event this socket already heard through another group
        (`key` names it, e.g. "change:42", "note:7")."""
        if key in self.seen_events:
            return False
        self.seen_events.append(key)
        return True

    # --- receiving ----------------------------------------------------------
    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            frame = parse_frame(text_data, self.inbound)
        except ProtocolError as exc:
            await self.send_error(exc.code, detail=exc.detail or None)
            return
        name, access, limited = self.handlers[type(frame)]
        ref = getattr(frame, "client_id", None)
        try:
            with translation.override(self.language):
                conversation_id = await self.authorize(frame, access)
                if limited:
                    self.check_rate(conversation_id)
                await getattr(self, name)(frame, conversation_id)
        except DomainError as exc:
            with translation.override(self.language):
                await self.send_error(exc.code, exc.message, client_id=ref)
        except ProtocolError as exc:
            await self.send_error(
                exc.code, client_id=ref, retry_after=getattr(exc, "retry_after", None)
            )
        except Exception as exc:
            # Never a traceback to the client; the log has the type and trace, no frame
            # content. An outage (database, channel layer) is logged once, by outages.
            if not outages.note(exc):
                logger.exception("frame %s failed", frame.type)  # type: ignore[attr-defined]
            await self.send_error("server_error", client_id=ref)

    async def authorize(self, frame: Frame, access: Access) -> int | None:
        """The conversation a frame addresses once the sender may send it there
        (None for Access.SOCKET). "Not yours" and "does not exist" are one answer,
        `not_found`, so that ids cannot be probed."""
        raise NotImplementedError

    def check_rate(self, conversation_id: int | None) -> None:
        wait = self.bucket.take()
        if not wait and conversation_id is not None:
            wait = conversation_bucket(conversation_id).take()
        if wait:
            error = ProtocolError("rate_limited")
            error.retry_after = round(wait, 1)  # type: ignore[attr-defined]
            raise error

    @handles(Ping, Access.SOCKET)
    async def on_ping(self, frame: Ping, conversation_id: None) -> None:
        await self.send_frame(frames.Pong())

    @handles(MessageSend, Access.PARTICIPANT, limited=True)
    async def on_message_send(self, frame: MessageSend, conversation_id: int) -> None:
        body, masked = self.prepare_body(frame.body)
        # Stored by this process's writer in one transaction with the other
        # sockets' messages of the moment (group commit); answered after commit.
        result = await writer().post(
            MessageRequest(
                conversation_id=conversation_id,
                author_kind=self.actor_kind,
                author=self.scope["user"] if self.actor_kind == ActorKind.STAFF else None,
                body=body,
                client_id=frame.client_id,
                identity_codes_masked=masked,
            )
        )
        await self.send_frame(
            frames.MessageAck(
                conversation=conversation_id,
                client_id=frame.client_id,
                seq=result.message.seq,
                created=result.message.created_at.isoformat(),
                duplicate=not result.created,
                masked=masked > 0,
            )
        )

    def prepare_body(self, body: str) -> tuple[str, int]:
        """The body to store, and how many identity codes were masked in it."""
        return body, 0

    @handles(MessageReceived, Access.PARTICIPANT)
    async def on_message_received(self, frame: MessageReceived, conversation_id: int) -> None:
        await database_sync_to_async(actions.mark_seen)(
            conversation_id=conversation_id, by=self.actor_kind, seq=frame.seq
        )
        await realtime.send_now_async(
            Receipt(
                conversation=conversation_id,
                seq=frame.seq,
                author_kind=self.actor_kind,
                sender=self.channel_name,
            )
        )

    @handles(SyncRequest, Access.READER)
    async def on_sync(self, frame: SyncRequest, conversation_id: int) -> None:
        self.holding.pop(conversation_id, None)
        after = frame.after_seq
        released_from = self.released.pop(conversation_id, None)
        if released_from is not None:
            # The hold ran out before this sync came (a slow network or a busy
            # server): what followed `released_from` already went out on this
            # socket. Send only what the client lacks before it, then go on from
            # what this socket has (never the same message twice).
            if after < released_from:
                await self.replay(conversation_id, after, until=released_from)
            after = max(after, self.delivered.get(conversation_id, after))
        await self.send_frame(
            frames.SyncDone(
                conversation=conversation_id,
                last_seq=await self.replay(conversation_id, after),
            )
        )

    async def replay(self, conversation_id: int, after_seq: int, until: int | None = None) -> int:
        """Send the messages after `after_seq` up to the newest (or up to `until`);
        the newest seq (the last one sent)."""
        last = after_seq
        while True:
            limit = (
                settings.CHAT_SYNC_BATCH
                if until is None
                else min(settings.CHAT_SYNC_BATCH, until - last)
            )
            if limit <= 0:
                return last
            batch = await _messages_after(conversation_id, last, limit, self.attachment_lookup)
            for message in batch:
                await self.send_frame(message)
            if batch:
                last = batch[-1].seq
            if len(batch) < limit:
                break
        if until is not None:
            return last
        if not batch and last == after_seq:
            # Nothing after the client's number: answer the real newest seq, which
            # may be lower (a client that claims more must not skip what follows).
            last = min(
                last,
                await database_sync_to_async(selectors.last_seq)(conversation_id=conversation_id),
            )
        # Only what was really sent moves the mark.
        if conversation_id in self.delivered:
            self.delivered[conversation_id] = max(self.delivered[conversation_id], last)
            await self._deliver_ahead(conversation_id)
        return last

    @handles(TypingFrame, Access.PARTICIPANT)
    async def on_typing(self, frame: TypingFrame, conversation_id: int) -> None:
        await realtime.send_now_async(
            Typing(
                conversation=conversation_id,
                author_kind=self.actor_kind,
                active=frame.type == "typing.start",
                sender=self.channel_name,
            )
        )

    # --- channel-layer events -------------------------------------------------
    async def message_new(self, event: dict[str, Any]) -> None:
        """Deliver in order: drop what this socket has; a message ahead of a gap
        waits for the missing ones (REORDER_SECONDS), then they come from the
        database."""
        conversation_id, seq = event["conversation"], event["seq"]
        delivered = self.delivered.get(conversation_id)
        if delivered is None:
            return  # not following (any more)
        if conversation_id in self.holding:
            if time.monotonic() - self.holding[conversation_id] < HOLD_SECONDS:
                return  # the client's sync will bring it from the database
            await self.release(conversation_id)
            return
        if seq <= delivered:
            return
        if seq > delivered + 1:
            # Two server processes publish one conversation's messages (each its
            # own authors'), so the one before may be milliseconds behind on the
            # layer: wait for it rather than read the database at once.
            ahead = self.ahead.setdefault(conversation_id, {})
            if not ahead:
                self.gap_since[conversation_id] = time.monotonic()
                asyncio.get_running_loop().call_later(
                    REORDER_SECONDS, self._later, "gap.fill", conversation_id
                )
            ahead[seq] = event
            overdue = time.monotonic() - self.gap_since[conversation_id] >= REORDER_SECONDS
            if overdue or len(ahead) >= REORDER_LIMIT:
                await self._fill_gap(conversation_id)
            return
        await self._send_message(event)
        self.delivered[conversation_id] = seq
        await self._deliver_ahead(conversation_id)

    async def _send_message(self, event: dict[str, Any]) -> None:
        # Built from the typed MessageNew event by the action: not validated again
        # for every socket it reaches (this is the message path). A file's
        # message is validated, so that its nested attachment renders as a model.
        if event.get("attachment") is None:
            await self.send_frame(frames.MessageNew.model_construct(**event))
        else:
            await self.send_frame(frames.MessageNew.model_validate(event))

    async def _deliver_ahead(self, conversation_id: int) -> None:
        """Send the waiting messages that now follow on, and forget those the
        socket has."""
        ahead = self.ahead.get(conversation_id)
        if not ahead:
            return
        delivered = self.delivered[conversation_id]
        while delivered + 1 in ahead:
            delivered += 1
            await self._send_message(ahead.pop(delivered))
            self.delivered[conversation_id] = delivered
        for seq in [seq for seq in ahead if seq <= delivered]:
            del ahead[seq]
        if not ahead:  # the gap closed in time
            del self.ahead[conversation_id]
            self.gap_since.pop(conversation_id, None)

    async def gap_fill(self, event: dict[str, Any]) -> None:
        """A gap's timer: fill it once it has waited REORDER_SECONDS. The timer of
        a gap that closed in time may meet a newer gap, which gets its own wait."""
        conversation_id = event["conversation"]
        since = self.gap_since.get(conversation_id)
        if since is None:
            return
        left = since + REORDER_SECONDS - time.monotonic()
        if left > 0.005:
            asyncio.get_running_loop().call_later(left, self._later, "gap.fill", conversation_id)
            return
        await self._fill_gap(conversation_id)

    async def _fill_gap(self, conversation_id: int) -> None:
        """The missing messages did not arrive over the layer in time (or too many
        wait, or the socket stops following): read them from the database, up to
        the newest waiting one."""
        self.gap_since.pop(conversation_id, None)
        ahead = self.ahead.pop(conversation_id, None)
        delivered = self.delivered.get(conversation_id)
        if not ahead or delivered is None:
            return
        newest = max(ahead)
        if newest <= delivered:
            return
        for message in await _messages_after(
            conversation_id, delivered, newest - delivered, self.attachment_lookup
        ):
            await self.send_frame(message)
            delivered = message.seq
        # What the database did not have (erased meanwhile) is not waited for again.
        for seq in sorted(s for s in ahead if s > delivered):
            await self._send_message(ahead[seq])
            delivered = seq
        self.delivered[conversation_id] = delivered

    async def hold_release(self, event: dict[str, Any]) -> None:
        if event["conversation"] in self.holding:
            await self.release(event["conversation"])

    async def release(self, conversation_id: int) -> None:
        """No sync came: deliver from where the socket started following."""
        self.holding.pop(conversation_id, None)
        self.released[conversation_id] = self.delivered[conversation_id]
        await self.replay(conversation_id, self.delivered[conversation_id])

    async def receipt_changed(self, event: dict[str, Any]) -> None:
        if event["sender"] == self.channel_name:
            return
        await self.send_frame(
            frames.MessageDelivered(conversation=event["conversation"], seq=event["seq"])
        )

    async def typing_changed(self, event: dict[str, Any]) -> None:
        if event["sender"] == self.channel_name:
            return
        await self.send_frame(
            frames.Typing(
                conversation=event["conversation"],
                author_kind=event["author_kind"],
                active=event["active"],
            )
        )
