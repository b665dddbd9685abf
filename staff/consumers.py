"""The professional's socket: the queues of their services, and the
conversations assigned to them."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async

from attachments.selectors import infos_by_seq
from callbacks.protocol import STAFF_CALLBACK_FRAMES
from callbacks.sockets import StaffCallbacks
from conversations import actions, frames, realtime, selectors
from conversations.clientaddr import client_address_from_scope
from conversations.consumers import CLOSE_UNAUTHENTICATED, ChatConsumer, handles
from conversations.errors import DomainError
from conversations.models import ActorKind, ConversationStatus
from conversations.protocol import (
    STAFF_FRAME_TYPES,
    Access,
    ConversationClaim,
    ConversationClose,
    ConversationOpen,
    ConversationTransfer,
    Frame,
    IdentificationRequest,
    IdentityReveal,
    NoteAdd,
    PresenceSet,
    ProtocolError,
    SyncRequest,
    frame_adapter,
)
from crisis.protocol import STAFF_CRISIS_FRAMES
from crisis.sockets import StaffCrisis
from identity import hetu
from identity.actions import request_identification, reveal_hetu
from staff import actions as staff_actions
from staff.models import Presence
from staff.selectors import may_use_staff_socket, staff_socket_state
from staff.sessions import SessionCheck, session_digest
from staff.sockets import track_staff, untrack_staff
from video.protocol import STAFF_VIDEO_FRAMES
from video.sockets import StaffVideo

FRAME_TYPES = STAFF_FRAME_TYPES + STAFF_VIDEO_FRAMES + STAFF_CRISIS_FRAMES + STAFF_CALLBACK_FRAMES


@database_sync_to_async
def _can_read(user, conversation_id: int) -> bool:
    return selectors.conversation_for_staff(user=user, conversation_id=conversation_id) is not None


class StaffConsumer(StaffCallbacks, StaffCrisis, StaffVideo, ChatConsumer):
    attachment_lookup = staticmethod(infos_by_seq)
    inbound = frame_adapter(FRAME_TYPES)
    frame_types = FRAME_TYPES
    actor_kind = ActorKind.STAFF

    async def setup(self) -> None:
        self.user = self.scope["user"]
        if not await database_sync_to_async(may_use_staff_socket)(user=self.user):
            await self.close()  # before accept: the handshake is refused (HTTP 403)
            return
        self.session_key = self.scope["session"].session_key
        self.address = client_address_from_scope(self.scope)
        self.audited: set[int] = set()
        state = await database_sync_to_async(staff_socket_state)(user=self.user)
        await self.accept()
        await track_staff(self)
        self.service_ids = set(state["services"])
        for service_id in self.service_ids:
            await self.join(realtime.service_group(service_id))
        await self.join(realtime.staff_group(self.user.pk))
        for summary in state["active"]:
            await self.watch_conversation(summary["id"], summary["last_seq"])
        await self.send_frame(frames.StaffHello(**state))
        # A socket outlives page loads: it ends with its login session (staff/sessions.py).
        self.session_check = SessionCheck(
            user=self.user, session_key=self.session_key, on_ended=self.end_session
        )
        self.session_check.start()

    async def disconnect(self, code: int) -> None:
        if getattr(self, "session_key", None):
            if hasattr(self, "session_check"):
                self.session_check.stop()
            await untrack_staff(self)
        await super().disconnect(code)

    async def end_session(self) -> None:
        await self.send_error("session_expired", "Your session has ended. Please log in again.")
        await self.close(code=CLOSE_UNAUTHENTICATED)

    async def session_ended(self, event: dict[str, Any]) -> None:
        """Logout (this session's digest) or deactivation (empty: every session)."""
        if event["session"] in ("", session_digest(self.session_key)):
            if hasattr(self, "session_check"):
                self.session_check.stop()
            await self.end_session()

    async def watch_conversation(self, conversation_id: int, last_seq: int) -> None:
        await super().watch_conversation(conversation_id, last_seq)
        await self.join(realtime.conversation_staff_group(conversation_id))

    async def unwatch_conversation(self, conversation_id: int) -> None:
        await super().unwatch_conversation(conversation_id)
        await self.leave(realtime.conversation_staff_group(conversation_id))

    async def authorize(self, frame: Frame, access: Access) -> int | None:
        """PARTICIPANT: a conversation assigned to this professional and followed
        by this socket (the action re-checks the assignment in the database).
        READER: one they may read: in their services, or assigned to them."""
        if access == Access.SOCKET:
            return None
        conversation_id = getattr(frame, "conversation", None)
        if conversation_id is None:
            raise ProtocolError("invalid_frame", "conversation")
        if conversation_id in self.delivered:
            return conversation_id
        if not await _can_read(self.user, conversation_id):
            raise ProtocolError("not_found")
        if access == Access.PARTICIPANT:
            raise DomainError("not_assigned")
        return conversation_id

    def prepare_body(self, body: str) -> tuple[str, int]:
        """No identity code is stored in a message, whoever writes it."""
        return hetu.mask(body)

    async def on_sync(self, frame: SyncRequest, conversation_id: int) -> None:
        # Reading a conversation this socket does not serve is audited, once per socket.
        if conversation_id not in self.delivered and conversation_id not in self.audited:
            await database_sync_to_async(staff_actions.audit_read)(
                user=self.user, conversation_id=conversation_id, address=self.address
            )
            self.audited.add(conversation_id)
        await super().on_sync(frame, conversation_id)

    @handles(ConversationOpen, Access.READER)
    async def on_conversation_open(self, frame: ConversationOpen, conversation_id: int) -> None:
        detail = await database_sync_to_async(staff_actions.open_conversation_for_staff)(
            user=self.user, conversation_id=conversation_id, address=self.address
        )
        if detail is None:
            raise ProtocolError("not_found")
        await self.send_frame(frames.ConversationDetail(**detail))
        await self.send_open_call(conversation_id)
        await self.send_crisis_matches(conversation_id)

    @handles(ConversationClaim, Access.READER)
    async def on_conversation_claim(self, frame: ConversationClaim, conversation_id: int) -> None:
        conversation = await database_sync_to_async(actions.claim_conversation)(
            conversation_id=conversation_id,
            professional=self.user,
            max_active=self.user.max_active_chats,
        )
        await self.watch_conversation(conversation.pk, conversation.last_seq)

    @handles(ConversationClose, Access.PARTICIPANT)
    async def on_conversation_close(self, frame: ConversationClose, conversation_id: int) -> None:
        await database_sync_to_async(staff_actions.close_with_reason)(
            conversation_id=conversation_id, professional=self.user, reason_code=frame.reason
        )

    @handles(ConversationTransfer, Access.PARTICIPANT)
    async def on_conversation_transfer(
        self, frame: ConversationTransfer, conversation_id: int
    ) -> None:
        await database_sync_to_async(staff_actions.transfer_by_ids)(
            conversation_id=conversation_id,
            by=self.user,
            to_service_id=frame.to_service,
            to_professional_id=frame.to_professional,
            note=frame.note,
        )

    @handles(NoteAdd, Access.READER, limited=True)
    async def on_note_add(self, frame: NoteAdd, conversation_id: int) -> None:
        body, _masked = self.prepare_body(frame.body)
        await database_sync_to_async(actions.add_note)(
            conversation_id=conversation_id,
            author=self.user,
            body=body,
            client_id=frame.client_id,
        )

    @handles(IdentificationRequest, Access.PARTICIPANT, limited=True)
    async def on_identification_request(
        self, frame: IdentificationRequest, conversation_id: int
    ) -> None:
        await database_sync_to_async(request_identification)(
            conversation_id=conversation_id, professional=self.user
        )

    @handles(IdentityReveal, Access.PARTICIPANT, limited=True)
    async def on_identity_reveal(self, frame: IdentityReveal, conversation_id: int) -> None:
        """The identity code goes to this socket only, and the audit log says so."""
        code = await database_sync_to_async(reveal_hetu)(
            conversation_id=conversation_id, professional=self.user, address=self.address
        )
        await self.send_frame(
            frames.IdentityRevealed(conversation=conversation_id, identity_code=code)
        )

    @handles(PresenceSet, Access.SOCKET)
    async def on_presence_set(self, frame: PresenceSet, conversation_id: None) -> None:
        await database_sync_to_async(staff_actions.set_presence)(
            user=self.user, presence=Presence(frame.presence)
        )
        await self.send_frame(frames.PresenceChanged(presence=frame.presence))

    # --- channel-layer events -------------------------------------------------
    async def conversation_changed(self, event: dict[str, Any]) -> None:
        if not self.is_new_event(f"change:{event['event_id']}"):
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
        await self.send_frame(frames.from_event(frames.ConversationChanged, event))

    async def note_new(self, event: dict[str, Any]) -> None:
        # Heard through the conversation's staff group and the assignee's group.
        if not self.is_new_event(f"note:{event['id']}"):
            return
        await self.send_frame(frames.from_event(frames.NoteNew, event))

    async def identity_verified(self, event: dict[str, Any]) -> None:
        # Heard through the conversation's staff group and the assignee's group.
        if not self.is_new_event(f"person:{event['conversation']}:{event['identified_at']}"):
            return
        person = {
            k: v for k, v in event.items() if k not in ("type", "conversation", "assigned_to")
        }
        await self.send_frame(
            frames.IdentityVerified(
                conversation=event["conversation"], person=frames.Person(**person)
            )
        )

    async def identification_changed(self, event: dict[str, Any]) -> None:
        """For the resident's socket; professionals follow it in `conversation.changed`."""
