"""The WebSocket protocol, v1: inbound frames and their validation.

Every frame is a JSON object `{"type": "<noun>.<verb>", ...}`. Unknown types and
unknown fields are rejected; see docs/protocol.md for the whole protocol.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal

from django.conf import settings
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

PROTOCOL_VERSION = 1

ClientId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
ConversationId = Annotated[int, Field(gt=0)]


class Frame(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Ping(Frame):
    type: Literal["ping"]


class MessageSend(Frame):
    type: Literal["message.send"]
    client_id: ClientId
    body: Annotated[str, Field(min_length=1)]
    conversation: ConversationId | None = None


class SyncRequest(Frame):
    type: Literal["sync"]
    after_seq: Annotated[int, Field(ge=0)] = 0
    conversation: ConversationId | None = None


class TypingFrame(Frame):
    type: Literal["typing.start", "typing.stop"]
    conversation: ConversationId | None = None


class MessageReceived(Frame):
    type: Literal["message.received"]
    seq: Annotated[int, Field(gt=0)]
    conversation: ConversationId | None = None


class ConversationLeave(Frame):
    type: Literal["conversation.leave"]


class ConversationClaim(Frame):
    type: Literal["conversation.claim"]
    conversation: ConversationId


class ConversationClose(Frame):
    type: Literal["conversation.close"]
    conversation: ConversationId
    reason: Annotated[str, Field(min_length=1, max_length=40)]


class ConversationTransfer(Frame):
    type: Literal["conversation.transfer"]
    conversation: ConversationId
    to_service: ConversationId | None = None
    to_professional: ConversationId | None = None
    note: Annotated[str, Field(max_length=500)] = ""


class ConversationOpen(Frame):
    type: Literal["conversation.open"]
    conversation: ConversationId


class NoteAdd(Frame):
    type: Literal["note.add"]
    conversation: ConversationId
    client_id: ClientId
    body: Annotated[str, Field(min_length=1)]


class PresenceSet(Frame):
    type: Literal["presence.set"]
    presence: Literal["available", "busy", "away"]


ResidentFrame = Annotated[
    Ping | MessageSend | MessageReceived | SyncRequest | TypingFrame | ConversationLeave,
    Field(discriminator="type"),
]
StaffFrame = Annotated[
    Ping
    | MessageSend
    | MessageReceived
    | SyncRequest
    | TypingFrame
    | ConversationOpen
    | ConversationClaim
    | ConversationClose
    | ConversationTransfer
    | NoteAdd
    | PresenceSet,
    Field(discriminator="type"),
]
RESIDENT_FRAMES: TypeAdapter = TypeAdapter(ResidentFrame)
STAFF_FRAMES: TypeAdapter = TypeAdapter(StaffFrame)


class ProtocolError(Exception):
    """A frame the server cannot accept. `code` is part of the protocol."""

    def __init__(self, code: str, detail: str = ""):
        self.code = code
        self.detail = detail
        super().__init__(code)


def parse_frame(text: str | None, adapter: TypeAdapter) -> Frame:
    """Decode and validate one text frame, or raise ProtocolError."""
    if text is None:
        raise ProtocolError("binary_not_supported")
    if len(text.encode("utf-8")) > settings.CHAT_MAX_FRAME_BYTES:
        raise ProtocolError("frame_too_large")
    try:
        data = json.loads(text)
    except ValueError:
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
