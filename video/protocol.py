"""Inbound video frames (docs/protocol.md): asking, consent, joining, signaling,
hanging up. Signaling carries only what WebRTC needs to connect the two
browsers, size-limited; the media never passes the server."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from conversations.protocol import Frame, Id

# A browser's offer with audio, video and a data channel is 3–10 KB (CHAT_MAX_FRAME_BYTES fits it).
MAX_SDP_CHARS = 20_000
MAX_CANDIDATE_CHARS = 1_000

Sdp = Annotated[str, Field(strict=True, min_length=1, max_length=MAX_SDP_CHARS)]


class IceCandidate(BaseModel):
    """RTCIceCandidateInit, as browsers give it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    candidate: Annotated[str, Field(strict=True, max_length=MAX_CANDIDATE_CHARS)]
    sdpMid: Annotated[str, Field(strict=True, max_length=64)] | None = None
    sdpMLineIndex: Annotated[int, Field(strict=True, ge=0, le=64)] | None = None
    usernameFragment: Annotated[str, Field(strict=True, max_length=256)] | None = None


class VideoRequest(Frame):
    """The assigned professional asks to switch to video."""

    type: Literal["video.request"]
    conversation: Id


class VideoAnswer(Frame):
    """The resident allows or declines."""

    type: Literal["video.answer"]
    allow: Annotated[bool, Field(strict=True)]
    conversation: Id | None = None


class VideoJoin(Frame):
    """A party joins the allowed call: the answer is `video.config` (ICE servers)."""

    type: Literal["video.join"]
    conversation: Id | None = None


class VideoSignal(Frame):
    """An offer, an answer or an ICE candidate for the other party."""

    type: Literal["video.signal"]
    kind: Literal["offer", "answer", "ice"]
    sdp: Sdp | None = None
    candidate: IceCandidate | None = None
    conversation: Id | None = None

    @model_validator(mode="after")
    def _one_payload(self) -> VideoSignal:
        if self.kind == "ice":
            if self.candidate is None or self.sdp is not None:
                raise ValueError("an ice signal carries a candidate only")
        elif self.sdp is None or self.candidate is not None:
            raise ValueError("an offer or answer carries an sdp only")
        return self


class VideoHangup(Frame):
    """Either party ends the call (or the professional withdraws the request)."""

    type: Literal["video.hangup"]
    conversation: Id | None = None


RESIDENT_VIDEO_FRAMES: tuple[type[Frame], ...] = (VideoAnswer, VideoJoin, VideoSignal, VideoHangup)
STAFF_VIDEO_FRAMES: tuple[type[Frame], ...] = (VideoRequest, VideoJoin, VideoSignal, VideoHangup)
