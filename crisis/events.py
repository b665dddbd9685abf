"""Crisis events for the channel layer: to the conversation's sockets only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from conversations.events import ToConversation


@dataclass(frozen=True)
class CrisisFound(ToConversation):
    """A phrase was found: the resident's page shows the banner; the professional
    following the conversation highlights where (`source`, `seq`, the span)."""

    type: ClassVar[str] = "crisis.found"
    source: str
    seq: int | None
    phrase: str
    start: int
    end: int
