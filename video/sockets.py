"""The video part of the chat sockets: mixed into the resident's and the
professional's consumers (customers.consumers, staff.consumers). Thin: the
rules are in video.actions; this routes frames and events."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async

from conversations.consumers import handles
from conversations.models import ActorKind
from conversations.protocol import Access, ProtocolError
from conversations.ratelimit import TokenBucket
from video import actions, selectors
from video.events import VideoChanged
from video.frames import VideoConfig, VideoSignalled, VideoState
from video.protocol import (
    IceCandidate,
    VideoAnswer,
    VideoHangup,
    VideoJoin,
    VideoRequest,
    VideoSignal,
)
from video.turn import ice_servers

# Signaling comes in bursts (a browser trickles its candidates) but never floods.
SIGNAL_BURST = 60
SIGNAL_PER_SECOND = 10


class VideoParticipant:
    """Joining, signaling and hanging up: the same for both parties."""

    actor_kind: ActorKind

    def _signal_bucket(self) -> TokenBucket:
        if not hasattr(self, "_signals"):
            self._signals = TokenBucket(rate=SIGNAL_PER_SECOND, burst=SIGNAL_BURST)
        return self._signals

    def _actor(self):
        return getattr(self, "user", None) if self.actor_kind == ActorKind.STAFF else None

    async def send_open_call(self, conversation_id: int) -> None:
        """A page that (re)opens the conversation learns of the call asked for or in
        progress, so that a reload can allow it or join it again."""
        call = await database_sync_to_async(selectors.open_call)(conversation_id=conversation_id)
        if call is not None:
            fields = VideoChanged.of(call).__dict__
            await self.send_frame(VideoState(**fields))  # type: ignore[attr-defined]

    @handles(VideoJoin, Access.PARTICIPANT)
    async def on_video_join(self, frame: VideoJoin, conversation_id: int) -> None:
        call = await database_sync_to_async(actions.join_call)(
            conversation_id=conversation_id, actor_kind=self.actor_kind
        )
        servers = ice_servers(user_id=f"call-{call.pk}-{self.actor_kind}")
        await self.send_frame(  # type: ignore[attr-defined]
            VideoConfig(conversation=conversation_id, call=call.pk, ice_servers=servers)
        )

    @handles(VideoSignal, Access.PARTICIPANT)
    async def on_video_signal(self, frame: VideoSignal, conversation_id: int) -> None:
        wait = self._signal_bucket().take()
        if wait:
            error = ProtocolError("rate_limited")
            error.retry_after = round(wait, 2)  # type: ignore[attr-defined]
            raise error
        await database_sync_to_async(actions.relay_signal)(
            conversation_id=conversation_id,
            sender=self.actor_kind,
            kind=frame.kind,
            sdp=frame.sdp,
            candidate=frame.candidate.model_dump() if frame.candidate else None,
        )

    @handles(VideoHangup, Access.PARTICIPANT)
    async def on_video_hangup(self, frame: VideoHangup, conversation_id: int) -> None:
        await database_sync_to_async(actions.end_call)(
            conversation_id=conversation_id, actor_kind=self.actor_kind, actor=self._actor()
        )

    # --- channel-layer events -------------------------------------------------
    async def video_changed(self, event: dict[str, Any]) -> None:
        fields = {k: v for k, v in event.items() if k != "type"}
        await self.send_frame(VideoState(**fields))  # type: ignore[attr-defined]

    async def video_signalled(self, event: dict[str, Any]) -> None:
        if event["sender"] == self.actor_kind:
            return  # never echoed to the sender
        candidate = event["candidate"]
        await self.send_frame(  # type: ignore[attr-defined]
            VideoSignalled(
                conversation=event["conversation"],
                call=event["call"],
                kind=event["kind"],
                sdp=event["sdp"],
                candidate=IceCandidate(**candidate) if candidate else None,
            )
        )


class ResidentVideo(VideoParticipant):
    """The resident answers; only the professional asks."""

    @handles(VideoAnswer, Access.PARTICIPANT)
    async def on_video_answer(self, frame: VideoAnswer, conversation_id: int) -> None:
        await database_sync_to_async(actions.answer_call)(
            conversation_id=conversation_id, allow=frame.allow
        )


class StaffVideo(VideoParticipant):
    @handles(VideoRequest, Access.PARTICIPANT, limited=True)
    async def on_video_request(self, frame: VideoRequest, conversation_id: int) -> None:
        await database_sync_to_async(actions.request_call)(
            conversation_id=conversation_id,
            professional=self.user,  # type: ignore[attr-defined]
        )
