"""Typed realtime events, named `<noun>.<verb>`: what happened, as data.

Actions build these and hand them to `realtime.publish`, which sends
`as_message()` over the channel layer; a consumer receives it in the handler
named after the type (`message.new` → `message_new`) and turns it into the
frames its own audience may see, with the constructors in
`conversations.frames`. Fields are plain JSON types.

Events and frames are named alike where the frame passes the event on
(`message.new`, `note.new`, `conversation.changed`); where a socket renders
its own view of an event, docs/protocol.md's table of events names the frames.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

from conversations.models import Conversation, InternalNote, Message


@dataclass(frozen=True)
class Event:
    type: ClassVar[str]

    def fields(self) -> dict[str, Any]:
        return asdict(self)

    def as_message(self) -> dict[str, Any]:
        """The channel-layer message: the type names the consumers' handler."""
        return {"type": self.type, **asdict(self)}


@dataclass(frozen=True)
class ToConversation(Event):
    """An event for the sockets of one conversation (its resident and the
    professionals following it). Apps define theirs by subclassing: the core
    routes them without knowing them (conversations.realtime.recipients)."""

    conversation: int


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
    # A file sent as this message (attachments app): {id, name, content_type,
    # size, url}; None for a text message.
    attachment: dict[str, Any] | None = None

    @classmethod
    def from_message(
        cls, message: Message, author_name: str, attachment: dict[str, Any] | None = None
    ) -> MessageNew:
        return cls(
            conversation=message.conversation_id,
            seq=message.seq,
            client_id=message.client_id,
            author_kind=message.author_kind,
            author_name=author_name,
            body=message.body,
            created=message.created_at.isoformat(),
            attachment=attachment,
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
    # Highest seq the resident's device has shown: the professional's "delivered".
    resident_seen_seq: int = 0
    resident_connected: bool = True
    # The latest identification request's state and failure code, and whether
    # the person has been identified in this conversation (identity app).
    identification: str = ""
    identification_failure: str = ""
    identified: bool = False
    # A crisis phrase found (crisis app): the phrase and when; "" when not flagged.
    crisis_phrase: str = ""
    crisis_at: str = ""
    # A call-back instead of a chat (CallbackSource), with the number to call:
    # the phone number is in a summary only then.
    callback: str = ""
    callback_phone: str = ""
    callback_outcome: str = ""
    callback_attempts: int = 0

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
            resident_seen_seq=conversation.resident_seen_seq,
            resident_connected=conversation.resident_disconnected_at is None,
            identification=conversation.identification,
            identification_failure=conversation.identification_failure,
            identified=conversation.identified_at is not None,
            crisis_phrase=conversation.crisis_phrase,
            crisis_at=conversation.crisis_at.isoformat() if conversation.crisis_at else "",
            callback=conversation.callback_source,
            callback_phone=conversation.resident_phone if conversation.callback_source else "",
            callback_outcome=conversation.callback_outcome,
            callback_attempts=conversation.callback_attempts,
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
    system_close_code: str = ""
    previous_service: int | None = None


@dataclass(frozen=True)
class IdentificationChanged(Event):
    """The state of a conversation's identification request, for the resident's
    socket: `link` (the path that starts identification in the resident's own
    browser session) and `expires` are set while the request waits to be opened.
    Professionals follow the same change through `conversation.changed`."""

    type: ClassVar[str] = "identification.changed"
    conversation: int
    event_id: int
    state: str
    identified: bool
    failure: str = ""
    link: str = ""
    expires: str = ""


@dataclass(frozen=True)
class IdentityVerified(Event):
    """Who the resident was verified to be: for professionals only (the
    conversation's staff group and its assignee), never a resident's socket.
    Never the identity code itself."""

    type: ClassVar[str] = "identity.verified"
    conversation: int
    assigned_to: int | None
    given_names: str
    family_name: str
    birth_date: str
    level: str
    provider: str
    identified_at: str
    has_identity_code: bool


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


@dataclass(frozen=True)
class SessionEnded(Event):
    """A professional's login session ended (logout, deactivation): their sockets
    of that session close. `session` is a digest of the session key, or empty
    for every session of the user."""

    type: ClassVar[str] = "session.ended"
    user: int
    session: str = ""
