"""The pre-call connection test: the browser connects over WebRTC to a peer the
server runs (aiortc), which sends the browser's own video and sound back and,
over a data channel, answers pings and reports what its WebRTC stats say
(round-trip time, packets lost). Problems show up before the professional waits.

Bounded: each test ends after VIDEO_CHECK_SECONDS, and at most
VIDEO_CHECK_MAX_CONCURRENT run in one server process at a time. Nothing is
recorded. The peer lives on the server's event loop, so the view is async.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRelay
from django.conf import settings

from video.errors import VideoError

logger = logging.getLogger(__name__)

MAX_SDP_CHARS = 20_000


class EchoChecks:
    """The running tests of this process."""

    def __init__(self) -> None:
        self.running: set[RTCPeerConnection] = set()
        self.tasks: set[asyncio.Future] = set()

    @property
    def count(self) -> int:
        return len(self.running)

    async def answer(self, offer: dict[str, Any]) -> dict[str, str]:
        """The answer to a browser's offer; the peer runs until the time limit."""
        if not settings.VIDEO_CHECK_ENABLED:
            raise VideoError("check_unavailable")
        description = _offer(offer)
        if self.count >= settings.VIDEO_CHECK_MAX_CONCURRENT:
            raise VideoError("check_busy")
        # No ICE servers: host candidates answer a browser that can reach this server.
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.running.add(pc)
        relay = MediaRelay()

        @pc.on("track")
        def on_track(track) -> None:
            pc.addTrack(relay.subscribe(track))

        @pc.on("datachannel")
        def on_datachannel(channel) -> None:
            @channel.on("message")
            def on_message(message) -> None:
                if isinstance(message, str) and message.startswith("ping"):
                    channel.send("pong" + message[4:])
                elif message == "stats":
                    self.tasks.add(task := asyncio.ensure_future(_send_stats(pc, channel)))
                    task.add_done_callback(self.tasks.discard)

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            if pc.connectionState in ("failed", "closed"):
                await self.close(pc)

        try:
            await pc.setRemoteDescription(description)
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception:
            logger.info("connection test: the offer could not be answered")
            await self.close(pc)
            raise VideoError("invalid_offer") from None
        asyncio.get_running_loop().call_later(settings.VIDEO_CHECK_SECONDS, self._expire, pc)
        local = pc.localDescription
        return {"type": local.type, "sdp": local.sdp}

    def _expire(self, pc: RTCPeerConnection) -> None:
        task = asyncio.ensure_future(self.close(pc))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def close(self, pc: RTCPeerConnection) -> None:
        if pc in self.running:
            self.running.discard(pc)
            await pc.close()

    async def close_all(self) -> None:
        for pc in list(self.running):
            await self.close(pc)


def _offer(offer: dict[str, Any]) -> RTCSessionDescription:
    sdp = offer.get("sdp") if isinstance(offer, dict) else None
    if (
        offer.get("type") != "offer"
        or not isinstance(sdp, str)
        or not sdp.startswith("v=0")
        or len(sdp) > MAX_SDP_CHARS
    ):
        raise VideoError("invalid_offer")
    return RTCSessionDescription(sdp=sdp, type="offer")


async def _send_stats(pc: RTCPeerConnection, channel) -> None:
    """What this peer measured of the browser's stream (RTCP receiver reports)."""
    rtt: list[float] = []
    lost = 0
    for sender in pc.getSenders():
        report = await sender.getStats()
        for stats in report.values():
            if stats.type == "remote-inbound-rtp":
                rtt.append(stats.roundTripTime)
                lost += stats.packetsLost
    if channel.readyState == "open":
        channel.send(
            json.dumps({"type": "stats", "rtt": max(rtt) if rtt else None, "packets_lost": lost})
        )


checks = EchoChecks()
