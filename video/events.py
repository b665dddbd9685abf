"""Video events for the channel layer: to the conversation's two parties only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from conversations.events import ToConversation
from video.models import VideoCall


@dataclass(frozen=True)
class VideoChanged(ToConversation):
    type: ClassVar[str] = "video.changed"
    call: int
    state: str
    expires: str
    started: str
    ended_by: str
    end_reason: str

    @classmethod
    def of(cls, call: VideoCall) -> VideoChanged:
        return cls(
            conversation=call.conversation_id,
            call=call.pk,
            state=call.state,
            expires=call.expires_at.isoformat(),
            started=call.started_at.isoformat() if call.started_at else "",
            ended_by=call.ended_by,
            end_reason=call.end_reason,
        )


@dataclass(frozen=True)
class VideoSignalSent(ToConversation):
    """Relayed to the party that did not send it (`sender`: resident or staff)."""

    type: ClassVar[str] = "video.signalled"
    call: int
    sender: str
    kind: str
    sdp: str | None
    candidate: dict[str, Any] | None
