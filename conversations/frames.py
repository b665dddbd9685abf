"""Server → client frames: one typed constructor per frame type.

Every frame a socket sends is built here, with the same strictness as the
inbound schemas in `conversations.protocol` (unknown fields refused, types
checked), so the server, docs/protocol.md and the tests agree by construction
(tests/conversations/test_frames.py checks all three). Selectors and events
carry data; these render it; consumers only route.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from conversations.protocol import PROTOCOL_VERSION


class OutFrame(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def render(self) -> str:
        return self.model_dump_json()


class Summary(BaseModel):
    """What a professional's queue shows of a conversation (events.ConversationSummary)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: int
    service: int
    status: str
    resident_name: str
    matter: str
    language: str
    created: str
    assigned_to: int | None
    resident_left: bool
    last_seq: int
    resident_seen_seq: int
    resident_connected: bool
    identification: str
    identification_failure: str
    identified: bool
    crisis_phrase: str
    crisis_at: str
    callback: str
    callback_phone: str
    callback_outcome: str
    callback_attempts: int


class Person(BaseModel):
    """The verified person of a conversation, as professionals see it: never
    the identity code (`identity.reveal` asks for it, audited)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    given_names: str
    family_name: str
    birth_date: str
    level: str
    provider: str
    identified_at: str
    has_identity_code: bool


class ResidentIdentification(BaseModel):
    """The resident's view of the identification request of their conversation.
    `link` and `expires` are set while the request waits to be opened; `message`
    is what to tell the resident, in the conversation's language."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    state: str
    failure: str
    link: str
    expires: str
    message: str
    identified: bool


class ResidentConversation(BaseModel):
    """What a resident's page may know of their own conversation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: int
    status: str
    service: dict[str, Any]
    professional_name: str
    position: int | None
    last_seq: int
    resident_left: bool
    language: str
    # Highest seq the professional's device has shown: the resident's "delivered".
    peer_seen_seq: int
    identification: ResidentIdentification


class StaffUser(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: int
    name: str
    presence: str
    max_active_chats: int


class ResidentHello(OutFrame):
    type: Literal["hello"] = "hello"
    protocol: int = PROTOCOL_VERSION
    role: Literal["resident"] = "resident"
    conversation: ResidentConversation


class StaffHello(OutFrame):
    type: Literal["hello"] = "hello"
    protocol: int = PROTOCOL_VERSION
    role: Literal["staff"] = "staff"
    user: StaffUser
    services: list[int]
    queue: list[Summary]
    active: list[Summary]


class Pong(OutFrame):
    type: Literal["pong"] = "pong"


class Error(OutFrame):
    type: Literal["error"] = "error"
    code: str
    message: str
    client_id: str | None = None
    detail: str | None = None
    conversation: int | None = None
    retry_after: float | None = None

    def render(self) -> str:
        return self.model_dump_json(exclude_none=True)


class MessageAck(OutFrame):
    type: Literal["message.ack"] = "message.ack"
    conversation: int
    client_id: str
    seq: int
    created: str
    duplicate: bool
    masked: bool


class AttachmentInfo(BaseModel):
    """A file sent as a message: shown with its name, type and size, fetched
    from `url` (the authorised download, docs/protocol.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    content_type: str
    size: int
    url: str


class MessageNew(OutFrame):
    type: Literal["message.new"] = "message.new"
    conversation: int
    seq: int
    client_id: str
    author_kind: Literal["resident", "staff", "system"]
    author_name: str
    body: str
    created: str
    # Only on a message that is a file (left out of text messages).
    attachment: AttachmentInfo | None = None

    def render(self) -> str:
        return self.model_dump_json(exclude={"attachment"} if self.attachment is None else None)


class MessageDelivered(OutFrame):
    type: Literal["message.delivered"] = "message.delivered"
    conversation: int
    seq: int


class SyncDone(OutFrame):
    type: Literal["sync.done"] = "sync.done"
    conversation: int
    last_seq: int


class Typing(OutFrame):
    type: Literal["typing"] = "typing"
    conversation: int
    author_kind: Literal["resident", "staff"]
    active: bool


class ConversationState(OutFrame):
    """The resident's view of a change to their conversation."""

    type: Literal["conversation.state"] = "conversation.state"
    conversation: int
    change: str
    status: str
    professional_name: str
    resident_left: bool
    # Set only when the system closed it (e.g. `service_closed`); a professional's
    # own reason codes are not for the resident.
    close_reason: str


class QueuePosition(OutFrame):
    type: Literal["queue.position"] = "queue.position"
    position: int
    waiting: int


class ConversationChanged(OutFrame):
    type: Literal["conversation.changed"] = "conversation.changed"
    event_id: int
    change: str
    conversation: Summary
    professional_name: str
    close_reason: str
    system_close_code: str
    previous_service: int | None


class NoteNew(OutFrame):
    type: Literal["note.new"] = "note.new"
    conversation: int
    id: int
    client_id: str
    author_name: str
    body: str
    created: str
    assigned_to: int | None


class ConversationDetail(OutFrame):
    type: Literal["conversation.detail"] = "conversation.detail"
    conversation: Summary
    resident_phone: str
    service_name: str
    notes: list[NoteNew]
    person: Person | None


class IdentificationState(OutFrame):
    """To the resident: their identification request changed."""

    type: Literal["identification.state"] = "identification.state"
    conversation: int
    identification: ResidentIdentification


class IdentityVerified(OutFrame):
    """To professionals: the resident was verified to be this person."""

    type: Literal["identity.verified"] = "identity.verified"
    conversation: int
    person: Person


class IdentityRevealed(OutFrame):
    """To the one socket that asked (`identity.reveal`), written to the audit log."""

    type: Literal["identity.revealed"] = "identity.revealed"
    conversation: int
    identity_code: str


class PresenceChanged(OutFrame):
    type: Literal["presence.changed"] = "presence.changed"
    presence: Literal["available", "busy", "away"]


# Every server → client frame type, for the protocol document's check.
SERVER_FRAMES: tuple[type[OutFrame], ...] = (
    ResidentHello,
    StaffHello,
    Pong,
    Error,
    MessageAck,
    MessageNew,
    MessageDelivered,
    SyncDone,
    Typing,
    ConversationState,
    QueuePosition,
    ConversationChanged,
    NoteNew,
    ConversationDetail,
    PresenceChanged,
    IdentificationState,
    IdentityVerified,
    IdentityRevealed,
)


def from_event(frame: type[OutFrame], event: dict[str, Any]) -> OutFrame:
    """A frame that passes a channel-layer event on unchanged (same name, same fields)."""
    return frame.model_validate(event)
