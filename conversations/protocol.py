"""The WebSocket protocol, v1: inbound frames, their validation, and who may send them.

Every frame is a JSON object `{"type": "<noun>.<verb>", ...}`. Unknown types and
unknown fields are rejected; numbers must be JSON integers within bounds (no
strings, no booleans). Outbound frames are in `conversations.frames`; see
docs/protocol.md for the whole protocol.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any, Literal, Union

from django.conf import settings
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from conversations import limits

PROTOCOL_VERSION = 1

ClientId = Annotated[
    str,
    Field(min_length=1, max_length=limits.CLIENT_ID_MAX, pattern=r"^[A-Za-z0-9_.:-]+$"),
]
Id = Annotated[int, Field(strict=True, gt=0, le=limits.ID_MAX)]
Seq = Annotated[int, Field(strict=True, ge=0, le=limits.ID_MAX)]
Text = Annotated[str, Field(strict=True, min_length=1)]


class Access(StrEnum):
    """Who may send a frame, checked in one place (ChatConsumer.authorize)."""

    # About the socket itself; addresses no conversation (ping, presence).
    SOCKET = "socket"
    # The socket's own conversation: the resident's one, or one assigned to the
    # professional and followed by this socket.
    PARTICIPANT = "participant"
    # Staff: a conversation the professional may read (one of their services, or
    # assigned to them). The action checks anything stricter (claim, note).
    READER = "reader"


class Frame(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Ping(Frame):
    type: Literal["ping"]


class MessageSend(Frame):
    type: Literal["message.send"]
    client_id: ClientId
    body: Text
    conversation: Id | None = None


class SyncRequest(Frame):
    type: Literal["sync"]
    after_seq: Seq = 0
    conversation: Id | None = None


class TypingFrame(Frame):
    type: Literal["typing.start", "typing.stop"]
    conversation: Id | None = None


class MessageReceived(Frame):
    type: Literal["message.received"]
    seq: Id
    conversation: Id | None = None


class ConversationLeave(Frame):
    type: Literal["conversation.leave"]


class ConversationClaim(Frame):
    type: Literal["conversation.claim"]
    conversation: Id


class ConversationClose(Frame):
    type: Literal["conversation.close"]
    conversation: Id
    reason: Annotated[str, Field(strict=True, min_length=1, max_length=limits.CLOSE_REASON_MAX)]


class ConversationTransfer(Frame):
    type: Literal["conversation.transfer"]
    conversation: Id
    to_service: Id | None = None
    to_professional: Id | None = None
    note: Annotated[str, Field(strict=True, max_length=limits.TRANSFER_NOTE_MAX)] = ""


class ConversationOpen(Frame):
    """A professional views a conversation's details (audited)."""

    type: Literal["conversation.open"]
    conversation: Id


class NoteAdd(Frame):
    type: Literal["note.add"]
    conversation: Id
    client_id: ClientId
    body: Text


class IdentificationRequest(Frame):
    """The assigned professional asks the resident to identify strongly."""

    type: Literal["identification.request"]
    conversation: Id


class IdentityReveal(Frame):
    """The assigned professional reads the verified person's identity code (audited)."""

    type: Literal["identity.reveal"]
    conversation: Id


class PresenceSet(Frame):
    type: Literal["presence.set"]
    presence: Literal["available", "busy", "away"]


RESIDENT_FRAME_TYPES: tuple[type[Frame], ...] = (
    Ping,
    MessageSend,
    MessageReceived,
    SyncRequest,
    TypingFrame,
    ConversationLeave,
)
STAFF_FRAME_TYPES: tuple[type[Frame], ...] = (
    Ping,
    MessageSend,
    MessageReceived,
    SyncRequest,
    TypingFrame,
    ConversationOpen,
    ConversationClaim,
    ConversationClose,
    ConversationTransfer,
    NoteAdd,
    PresenceSet,
    IdentificationRequest,
    IdentityReveal,
)


def frame_adapter(types: tuple[type[Frame], ...]) -> TypeAdapter:
    """A validator for one role's frames, told apart by `type`."""
    union: Any = Union[types]  # noqa: UP007 - built from a tuple at run time
    return TypeAdapter(Annotated[union, Field(discriminator="type")])  # type: ignore[arg-type,maybe-unrecognized-str-typeform]


class ProtocolError(Exception):
    """A frame the server cannot accept. `code` is part of the protocol."""

    def __init__(self, code: str, detail: str = ""):
        self.code = code
        self.detail = detail
        super().__init__(code)


# Deeper JSON than this is no frame of ours; refused before parsing.
MAX_DEPTH = 8


def _too_deep(text: str) -> bool:
    """Bracket depth outside strings, without recursion (the JSON parser recurses
    and a few kB of `[` exhaust its stack)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        # Every frame on the message path: counted in C, no walk in Python.
        return False
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif char in "]}":
            depth -= 1
    return False


def parse_frame(text: str | None, adapter: TypeAdapter) -> Frame:
    """Decode and validate one text frame, or raise ProtocolError."""
    if text is None:
        raise ProtocolError("binary_not_supported")
    if len(text.encode("utf-8", "surrogatepass")) > settings.CHAT_MAX_FRAME_BYTES:
        raise ProtocolError("frame_too_large")
    if _too_deep(text):
        raise ProtocolError("invalid_frame", "nested too deep")
    try:
        data: Any = json.loads(text)
    except (ValueError, RecursionError):
        raise ProtocolError("invalid_json") from None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise ProtocolError("invalid_frame", "a frame is an object with a string 'type'")
    try:
        return adapter.validate_python(data)
    except ValidationError as exc:
        errors = exc.errors()
        if any(e["type"] == "union_tag_invalid" for e in errors):
            raise ProtocolError("unknown_type") from None
        fields = sorted({".".join(str(p) for p in e["loc"][1:]) for e in errors if e["loc"]})
        raise ProtocolError("invalid_frame", ", ".join(f for f in fields if f)) from None
