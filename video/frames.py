"""Outbound video frames (docs/protocol.md)."""

from __future__ import annotations

from typing import Any, Literal

from conversations.frames import OutFrame
from video.protocol import IceCandidate


class VideoState(OutFrame):
    """To both parties: the call changed. `expires` while asked, `started` once active."""

    type: Literal["video.state"] = "video.state"
    conversation: int
    call: int
    state: str
    expires: str
    started: str
    ended_by: str
    end_reason: str


class VideoConfig(OutFrame):
    """To the socket that joined: the ICE servers of this call (TURN credentials
    that expire), for this party only."""

    type: Literal["video.config"] = "video.config"
    conversation: int
    call: int
    ice_servers: list[dict[str, Any]]


class VideoSignalled(OutFrame):
    """To the other party: an offer, an answer or an ICE candidate; or `joined`
    (no sdp, no candidate): the sender's page joined the call (again, after a
    reload), so a connection made before is gone and a new one starts."""

    type: Literal["video.signal"] = "video.signal"
    conversation: int
    call: int
    kind: Literal["offer", "answer", "ice", "joined"]
    sdp: str | None
    candidate: IceCandidate | None


VIDEO_FRAMES: tuple[type[OutFrame], ...] = (VideoState, VideoConfig, VideoSignalled)
