"""The professional's socket: the queues of their services, and the
conversations assigned to them."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from channels.db import database_sync_to_async

from conversations import actions, realtime, selectors
from conversations.consumers import ChatConsumer
from conversations.errors import DomainError
from conversations.events import ConversationSummary
from conversations.models import ActorKind, ConversationStatus
from conversations.protocol import (
    STAFF_FRAMES,
    ConversationClaim,
    ConversationClose,
    ConversationTransfer,
    Frame,
    ProtocolError,
)
from staff.actions import transfer_by_ids


@database_sync_to_async
def _staff_state(user) -> dict[str, Any]:
    service_ids = selectors.service_ids_for_staff(user=user)
    queue = selectors.waiting_conversations(service_ids=service_ids)
    active = selectors.active_conversations_for_staff(user=user)
    return {
        "user": {"id": user.pk, "name": user.get_short_name() or user.get_username()},
        "services": service_ids,
        "queue": [asdict(ConversationSummary.of(c)) for c in queue],
        "active": [asdict(ConversationSummary.of(c)) for c in active],
    }


@database_sync_to_async
def _can_read(user, conversation_id: int) -> bool:
    return selectors.conversation_for_staff(user=user, conversation_id=conversation_id) is not None


class StaffConsumer(ChatConsumer):
    frames = STAFF_FRAMES
    actor_kind = ActorKind.STAFF

    async def setup(self) -> None:
        self.user = self.scope["user"]
        if not (self.user.is_authenticated and self.user.is_staff):
            await self.close()  # before accept: the handshake is refused (HTTP 403)
            return
        state = await _staff_state(self.user)
        await self.accept()
        self.service_ids = set(state["services"])
        for service_id in self.service_ids:
            await self.join(realtime.service_group(service_id))
        await self.join(realtime.staff_group(self.user.pk))
        for summary in state["active"]:
            await self.watch_conversation(summary["id"], summary["last_seq"])
        await self.send_frame(self.hello("staff", **state))

    async def conversation_for_frame(self, frame: Frame, *, write: bool) -> int:
        conversation_id = getattr(frame, "conversation", None)
        if conversation_id is None:
            raise ProtocolError("invalid_frame", "conversation")
        if conversation_id in self.delivered:
            return conversation_id
        if write:
            # Writing needs the conversation assigned to this professional; the
            # action checks that against the database.
            return conversation_id
        if not await _can_read(self.user, conversation_id):
            raise ProtocolError("not_found")
        return conversation_id

    async def on_message_received(self, frame) -> None:
        self._require_watched(frame.conversation)
        await super().on_message_received(frame)

    async def on_typing_start(self, frame) -> None:
        self._require_watched(frame.conversation)
        await super().on_typing_start(frame)

    async def on_typing_stop(self, frame) -> None:
        self._require_watched(frame.conversation)
        await super().on_typing_stop(frame)

    def _require_watched(self, conversation_id: int | None) -> None:
        if conversation_id not in self.delivered:
            raise DomainError("not_assigned")

    async def on_conversation_claim(self, frame: ConversationClaim) -> None:
        conversation = await database_sync_to_async(actions.claim_conversation)(
            conversation_id=frame.conversation, professional=self.user
        )
        await self.watch_conversation(conversation.pk, conversation.last_seq)

    async def on_conversation_close(self, frame: ConversationClose) -> None:
        await database_sync_to_async(actions.close_conversation)(
            conversation_id=frame.conversation, professional=self.user, reason=frame.reason
        )

    async def on_conversation_transfer(self, frame: ConversationTransfer) -> None:
        await database_sync_to_async(transfer_by_ids)(
            conversation_id=frame.conversation,
            by=self.user,
            to_service_id=frame.to_service,
            to_professional_id=frame.to_professional,
            note=frame.note,
        )

    # --- channel-layer events -------------------------------------------------
    async def conversation_changed(self, event: dict[str, Any]) -> None:
        if not self.is_new_event(event["event_id"]):
            return
        summary = event["conversation"]
        mine = (
            summary["assigned_to"] == self.user.pk
            and summary["status"] == ConversationStatus.ACTIVE
        )
        if mine:
            await self.watch_conversation(summary["id"], summary["last_seq"])
        elif summary["id"] in self.delivered:
            await self.unwatch_conversation(summary["id"])
        await self.send_frame({**event, "type": "conversation.changed"})

    async def queue_changed(self, event: dict[str, Any]) -> None:
        """Staff sockets do not join queue groups; nothing to do."""
