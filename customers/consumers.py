"""The resident's socket. The anonymous Django session owns one conversation;
this socket speaks only for that conversation."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from django.utils import translation

from attachments.selectors import infos_by_seq
from callbacks.sockets import ResidentCallbacks
from conversations import actions, connections, frames, queueing, selectors
from conversations.connections import CONNECTION_CHANGES
from conversations.consumers import CLOSE_NO_CONVERSATION, ChatConsumer, handles
from conversations.models import ActorKind, ConversationStatus, EventKind
from conversations.protocol import (
    RESIDENT_FRAME_TYPES,
    Access,
    ConversationLeave,
    Frame,
    ProtocolError,
    frame_adapter,
)
from crisis.sockets import ResidentCrisis
from customers.selectors import resident_state
from identity import hetu
from identity.selectors import resident_message
from video.protocol import RESIDENT_VIDEO_FRAMES
from video.sockets import ResidentVideo

FRAME_TYPES = RESIDENT_FRAME_TYPES + RESIDENT_VIDEO_FRAMES
# Changes the resident's page is not told as `conversation.state`: whether the
# resident is connected and whether the chat is idle are the professional's to
# see; identification and video have frames of their own.
NOT_FOR_THE_RESIDENT = CONNECTION_CHANGES | {EventKind.IDLE_FLAGGED}
OWN_FRAMES = ("identification_", "video_", "crisis_")


@database_sync_to_async
def _state_for_session(session) -> dict[str, Any] | None:
    conversation = selectors.conversation_for_resident(session=session)
    if conversation is None:
        return None
    with translation.override(conversation.language):
        return resident_state(conversation=conversation)


class ResidentConsumer(ResidentCallbacks, ResidentCrisis, ResidentVideo, ChatConsumer):
    attachment_lookup = staticmethod(infos_by_seq)
    inbound = frame_adapter(FRAME_TYPES)
    frame_types = FRAME_TYPES
    actor_kind = ActorKind.RESIDENT

    async def setup(self) -> None:
        state = await _state_for_session(self.scope["session"])
        await self.accept()
        if state is None:
            await self.send_error("no_conversation", "There is no conversation in this session.")
            await self.close(code=CLOSE_NO_CONVERSATION)
            return
        self.conversation_id: int = state["id"]
        self.service_id: int = state["service"]["id"]
        self.status: str = state["status"]
        self.positions = queueing.PositionFeed(self.conversation_id, self._send_position)
        self.positions.position = state["position"]
        self.language = state["language"]
        await self.watch_conversation(self.conversation_id, state["last_seq"])
        await connections.track_resident(self, conversation_id=self.conversation_id)
        await self.send_frame(
            frames.ResidentHello(conversation=frames.ResidentConversation(**state))
        )
        if self.status == ConversationStatus.WAITING:
            # After the hello, which is the first frame and carries the place.
            await queueing.hub().watch(self.service_id, self.positions)
        await self.send_open_call(self.conversation_id)
        await self.send_callback_state(self.conversation_id)

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "conversation_id"):
            queueing.hub().unwatch(self.service_id, self.positions)
            await connections.untrack_resident(self, conversation_id=self.conversation_id)
        await super().disconnect(code)

    async def authorize(self, frame: Frame, access: Access) -> int | None:
        """Every conversation frame addresses the session's own conversation."""
        if access == Access.SOCKET:
            return None
        requested = getattr(frame, "conversation", None)
        if requested is not None and requested != self.conversation_id:
            raise ProtocolError("not_found")
        return self.conversation_id

    def prepare_body(self, body: str) -> tuple[str, int]:
        """Residents never store an identity code in the chat: mask it first."""
        return hetu.mask(body)

    @handles(ConversationLeave, Access.PARTICIPANT)
    async def on_conversation_leave(self, frame: ConversationLeave, conversation_id: int) -> None:
        await database_sync_to_async(actions.mark_resident_left)(conversation_id=conversation_id)

    # --- channel-layer events -------------------------------------------------
    async def conversation_changed(self, event: dict[str, Any]) -> None:
        if not self.is_new_event(f"change:{event['event_id']}"):
            return
        if event["change"] in NOT_FOR_THE_RESIDENT or event["change"].startswith(OWN_FRAMES):
            return
        summary = event["conversation"]
        previous = (self.status, self.service_id)
        self.status, self.service_id = summary["status"], summary["service"]
        if (self.status, self.service_id) != previous:
            queueing.hub().unwatch(previous[1], self.positions)
            if self.status == ConversationStatus.WAITING:
                self.positions.reset()
                await queueing.hub().watch(self.service_id, self.positions)
        await self.send_frame(
            frames.ConversationState(
                conversation=summary["id"],
                change=event["change"],
                status=self.status,
                professional_name=event["professional_name"],
                resident_left=summary["resident_left"],
                close_reason=event["system_close_code"],
            )
        )

    async def _send_position(self, position: int, waiting: int) -> None:
        """The hub (conversations.queueing) found this resident's place changed."""
        await self.send_frame(frames.QueuePosition(position=position, waiting=waiting))

    async def identification_changed(self, event: dict[str, Any]) -> None:
        """The identification request changed: the state, what to tell the
        resident, and the link while it waits to be opened."""
        with translation.override(self.language):
            message = resident_message(state=event["state"], failure=event["failure"])
        await self.send_frame(
            frames.IdentificationState(
                conversation=event["conversation"],
                identification=frames.ResidentIdentification(
                    state=event["state"],
                    failure=event["failure"],
                    link=event["link"],
                    expires=event["expires"],
                    message=message,
                    identified=event["identified"],
                ),
            )
        )
