"""Typed realtime events, named `<noun>.<verb>`.

Actions build these and hand them to `realtime.publish`; consumers receive them
as channel-layer messages (handler `message_new` for `message.new`) and render
them into frames for their own audience. Fields are plain JSON types.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

from conversations.models import Conversation, InternalNote, Message


@dataclass(frozen=True)
class Event:
    type: ClassVar[str]

    def as_message(self) -> dict[str, Any]:
        return {"type": self.type, **asdict(self)}


@dataclass(frozen=True)
class MessageNew(Event):
    type: ClassVar[str] = "message.new"
    conversation: int
    seq: int
    client_id: str
    author_kind: str
    author_name: str
    body: str
    created: str

    @classmethod
    def from_message(cls, message: Message, author_name: str) -> MessageNew:
        return cls(
            conversation=message.conversation_id,
            seq=message.seq,
            client_id=message.client_id,
            author_kind=message.author_kind,
            author_name=author_name,
            body=message.body,
            created=message.created_at.isoformat(),
        )


@dataclass(frozen=True)
class NoteNew(Event):
    """An internal note: routed to professionals only."""

    type: ClassVar[str] = "note.new"
    conversation: int
    id: int
    client_id: str
    author_name: str
    body: str
    created: str
    assigned_to: int | None

    @classmethod
    def from_note(cls, note: InternalNote, author_name: str) -> NoteNew:
        return cls(
            assigned_to=note.conversation.assigned_to_id,
            conversation=note.conversation_id,
            id=note.pk,
            client_id=note.client_id,
            author_name=author_name,
            body=note.body,
            created=note.created_at.isoformat(),
        )


@dataclass(frozen=True)
class ConversationSummary:
    """What a professional's queue shows of a conversation."""

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

    @classmethod
    def of(cls, conversation: Conversation) -> ConversationSummary:
        return cls(
            id=conversation.pk,
            service=conversation.service_id,
            status=conversation.status,
            resident_name=conversation.resident_name,
            matter=conversation.matter,
            language=conversation.language,
            created=conversation.created_at.isoformat(),
            assigned_to=conversation.assigned_to_id,
            resident_left=conversation.resident_left_at is not None,
            last_seq=conversation.last_seq,
        )


@dataclass(frozen=True)
class ConversationChanged(Event):
    """A state change of one conversation (opened, claimed, transferred, left, closed).

    `event_id` is the ConversationEvent row; a socket that hears the same change
    through two groups uses it to drop the duplicate.
    """

    type: ClassVar[str] = "conversation.changed"
    event_id: int
    change: str
    conversation: ConversationSummary
    professional_name: str = ""
    close_reason: str = ""
    previous_service: int | None = None


@dataclass(frozen=True)
class QueueChanged(Event):
    """The order of a service's queue changed. Residents' sockets turn this into
    their own position; the list never leaves the server."""

    type: ClassVar[str] = "queue.changed"
    service: int
    waiting: list[int] = field(default_factory=list)
    minutes_per_position: float = 5.0


@dataclass(frozen=True)
class Receipt(Event):
    """Ephemeral: the sender's device has shown messages up to `seq`."""

    type: ClassVar[str] = "receipt.changed"
    conversation: int
    seq: int
    author_kind: str
    sender: str


@dataclass(frozen=True)
class Typing(Event):
    """Ephemeral: not stored. `sender` is the channel that typed, so it hears no echo."""

    type: ClassVar[str] = "typing.changed"
    conversation: int
    author_kind: str
    active: bool
    sender: str
