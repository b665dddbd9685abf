"""Mechanics shared by the resident and the staff socket.

A consumer parses a frame, calls an action or a selector through
`database_sync_to_async`, and answers. It also turns channel-layer events into
frames for its own audience, delivering each conversation's messages to its
socket in `seq` order with no gaps and no duplicates: a message that arrives
out of order triggers a fill from the database first.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import translation
from pydantic import TypeAdapter

from conversations import actions, realtime, selectors
from conversations.errors import DomainError
from conversations.events import Receipt, Typing
from conversations.models import ActorKind
from conversations.protocol import (
    PROTOCOL_VERSION,
    Frame,
    MessageReceived,
    MessageSend,
    Ping,
    ProtocolError,
    SyncRequest,
    TypingFrame,
    parse_frame,
)

logger = logging.getLogger(__name__)

# Close codes (docs/protocol.md).
CLOSE_UNAUTHENTICATED = 4401
CLOSE_NO_CONVERSATION = 4404

PROTOCOL_ERRORS = {
    "invalid_json": "The frame is not valid JSON.",
    "invalid_frame": "The frame is missing fields or has fields it may not have.",
    "unknown_type": "Unknown frame type.",
    "frame_too_large": "The frame is too large.",
    "binary_not_supported": "Binary frames are not supported.",
    "forbidden_conversation": "That conversation is not yours.",
    "not_found": "No such conversation.",
}


@database_sync_to_async
def _messages_after(conversation_id: int, after_seq: int, limit: int) -> list[dict[str, Any]]:
    return selectors.message_frames(
        conversation_id=conversation_id, after_seq=after_seq, limit=limit
    )


class ChatConsumer(AsyncWebsocketConsumer):
    """Base for one socket of one page. Subclasses set `frames` and `actor_kind`
    and implement `conversation_for_frame` and the role's own handlers."""

    frames: TypeAdapter
    actor_kind: ActorKind

    async def connect(self) -> None:
        self.language = "sv"
        # conversation id -> highest seq delivered to this socket
        self.delivered: dict[int, int] = {}
        self.joined: set[str] = set()
        self.seen_events: deque[int] = deque(maxlen=256)
        await self.setup()

    async def setup(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    async def disconnect(self, code: int) -> None:
        for group in list(self.joined):
            await self.leave(group)

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
        """Start delivering a conversation's messages from after `last_seq`."""
        self.delivered.setdefault(conversation_id, last_seq)
        await self.join(realtime.conversation_group(conversation_id))

    async def unwatch_conversation(self, conversation_id: int) -> None:
        self.delivered.pop(conversation_id, None)
        await self.leave(realtime.conversation_group(conversation_id))

    # --- sending ------------------------------------------------------------
    async def send_frame(self, frame: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(frame, ensure_ascii=False, separators=(",", ":")))

    async def send_error(self, code: str, message: str = "", **extra: Any) -> None:
        frame = {
            "type": "error",
            "code": code,
            "message": message or PROTOCOL_ERRORS.get(code, code),
        }
        frame.update({k: v for k, v in extra.items() if v is not None})
        await self.send_frame(frame)

    def is_new_event(self, event_id: int) -> bool:
        """False for a change this socket already heard through another group."""
        if event_id in self.seen_events:
            return False
        self.seen_events.append(event_id)
        return True

    # --- receiving ----------------------------------------------------------
    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            frame = parse_frame(text_data, self.frames)
        except ProtocolError as exc:
            await self.send_error(exc.code, detail=exc.detail or None)
            return
        handler = getattr(self, "on_" + frame.type.replace(".", "_"))  # type: ignore[attr-defined]
        ref = getattr(frame, "client_id", None)
        try:
            with translation.override(self.language):
                await handler(frame)
        except DomainError as exc:
            with translation.override(self.language):
                await self.send_error(exc.code, exc.message, client_id=ref)
        except ProtocolError as exc:
            await self.send_error(exc.code, client_id=ref)
        except Exception:
            # Never a traceback to the client; the log has the type and trace, no frame content.
            logger.exception("frame %s failed", frame.type)  # type: ignore[attr-defined]
            await self.send_error(
                "server_error", "Something went wrong; please try again.", client_id=ref
            )

    async def conversation_for_frame(self, frame: Frame, *, write: bool) -> int:
        """The conversation id a frame addresses, after the role's permission check.
        Raises ProtocolError('forbidden_conversation' / 'not_found')."""
        raise NotImplementedError

    async def on_ping(self, frame: Ping) -> None:
        await self.send_frame({"type": "pong"})

    async def on_message_send(self, frame: MessageSend) -> None:
        conversation_id = await self.conversation_for_frame(frame, write=True)
        body, masked = self.prepare_body(frame.body)
        result = await database_sync_to_async(actions.post_message)(
            conversation_id=conversation_id,
            author_kind=self.actor_kind,
            author=self.scope["user"] if self.actor_kind == ActorKind.STAFF else None,
            body=body,
            client_id=frame.client_id,
            identity_codes_masked=masked,
        )
        await self.send_frame(
            {
                "type": "message.ack",
                "conversation": conversation_id,
                "client_id": frame.client_id,
                "seq": result.message.seq,
                "created": result.message.created_at.isoformat(),
                "duplicate": not result.created,
                "masked": masked > 0,
            }
        )

    def prepare_body(self, body: str) -> tuple[str, int]:
        """The body to store, and how many identity codes were masked in it."""
        return body, 0

    async def on_message_received(self, frame: MessageReceived) -> None:
        conversation_id = await self.conversation_for_frame(frame, write=True)
        await realtime.send_now_async(
            Receipt(
                conversation=conversation_id,
                seq=frame.seq,
                author_kind=self.actor_kind,
                sender=self.channel_name,
            )
        )

    async def on_sync(self, frame: SyncRequest) -> None:
        conversation_id = await self.conversation_for_frame(frame, write=False)
        after = frame.after_seq
        while True:
            batch = await _messages_after(conversation_id, after, settings.CHAT_SYNC_BATCH)
            for message in batch:
                await self.send_frame(message)
            if batch:
                after = batch[-1]["seq"]
                # Only what was really sent moves the mark: a client that claims
                # more than exists must not make the socket skip later messages.
                if conversation_id in self.delivered:
                    self.delivered[conversation_id] = max(self.delivered[conversation_id], after)
            if len(batch) < settings.CHAT_SYNC_BATCH:
                break
        await self.send_frame(
            {"type": "sync.done", "conversation": conversation_id, "last_seq": after}
        )

    async def on_typing_start(self, frame: TypingFrame) -> None:
        await self._typing(frame, active=True)

    async def on_typing_stop(self, frame: TypingFrame) -> None:
        await self._typing(frame, active=False)

    async def _typing(self, frame: TypingFrame, *, active: bool) -> None:
        conversation_id = await self.conversation_for_frame(frame, write=True)
        await realtime.send_now_async(
            Typing(
                conversation=conversation_id,
                author_kind=self.actor_kind,
                active=active,
                sender=self.channel_name,
            )
        )

    # --- channel-layer events -------------------------------------------------
    async def message_new(self, event: dict[str, Any]) -> None:
        """Deliver in order: drop what this socket has, fill a gap from the database."""
        conversation_id, seq = event["conversation"], event["seq"]
        delivered = self.delivered.get(conversation_id)
        if delivered is None:
            return  # not watching (any more)
        if seq <= delivered:
            return
        if seq > delivered + 1:
            for message in await _messages_after(conversation_id, delivered, seq - delivered - 1):
                await self.send_frame(message)
        await self.send_frame(event)
        self.delivered[conversation_id] = seq

    async def receipt_changed(self, event: dict[str, Any]) -> None:
        if event["sender"] == self.channel_name:
            return
        await self.send_frame(
            {
                "type": "message.delivered",
                "conversation": event["conversation"],
                "seq": event["seq"],
            }
        )

    async def typing_changed(self, event: dict[str, Any]) -> None:
        if event["sender"] == self.channel_name:
            return
        await self.send_frame(
            {
                "type": "typing",
                "conversation": event["conversation"],
                "author_kind": event["author_kind"],
                "active": event["active"],
            }
        )

    @classmethod
    def hello(cls, role: str, **fields: Any) -> dict[str, Any]:
        return {"type": "hello", "protocol": PROTOCOL_VERSION, "role": role, **fields}
