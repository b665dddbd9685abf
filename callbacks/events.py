"""Call-back events for the channel layer: to the conversation's sockets; the
resident's renders `callback.state`, professionals follow `conversation.changed`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from conversations.events import ToConversation


@dataclass(frozen=True)
class CallbackChanged(ToConversation):
    type: ClassVar[str] = "callback.changed"
    state: str
    attempts: int
    phone_end: str
