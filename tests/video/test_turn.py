"""TURN credentials by the TURN REST scheme, proven against a real coturn: two
aiortc peers that may use relay candidates only connect through it and a frame
of a synthetic camera and a data-channel message cross."""

import asyncio
import base64
import hashlib
import hmac
import os
from datetime import UTC, datetime

from tests.conftest import need
from tests.video.peers import TURNSERVER, camera, connected, coturn, peer, settle
from video.turn import ice_servers, turn_credentials

SECRET = "test-turn-secret-0123456789abcdefghijklmnop"


def test_credentials_follow_the_turn_rest_scheme(settings):
    settings.VIDEO_TURN_SECRET = SECRET
    settings.VIDEO_TURN_TTL_SECONDS = 600
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    username, credential = turn_credentials(user_id="call-7-resident", now=now)
    assert username == f"{int(now.timestamp()) + 600}:call-7-resident"
    expected = hmac.new(SECRET.encode(), username.encode(), hashlib.sha1).digest()
    assert credential == base64.b64encode(expected).decode()


def test_no_turn_without_a_secret(settings):
    settings.VIDEO_STUN_URLS = ["stun:stun.example.org:3478"]
    settings.VIDEO_TURN_URLS = ["turn:turn.example.org:3478"]
    settings.VIDEO_TURN_SECRET = ""
    assert ice_servers(user_id="x") == [{"urls": ["stun:stun.example.org:3478"]}]


async def test_two_peers_connect_through_coturn_with_the_generated_credentials(settings, tmp_path):
    need(os.path.exists(TURNSERVER), "needs Debian's coturn: make system-packages")
    settings.VIDEO_TURN_SECRET = SECRET
    settings.VIDEO_STUN_URLS = []
    with coturn(SECRET, tmp_path) as (port, _log):
        settings.VIDEO_TURN_URLS = [f"turn:127.0.0.1:{port}?transport=udp"]
        professional = peer(ice_servers(user_id="call-1-staff"), relay_only=True)
        resident = peer(ice_servers(user_id="call-1-resident"), relay_only=True)
        try:
            received: asyncio.Future = asyncio.get_running_loop().create_future()
            frames: asyncio.Future = asyncio.get_running_loop().create_future()
            tasks: list[asyncio.Future] = []
            opened: asyncio.Future = asyncio.get_running_loop().create_future()
            channel = professional.createDataChannel("chat")
            channel.on("open", lambda: settle(opened, True))
            professional.addTrack(camera())

            @resident.on("datachannel")
            def on_channel(remote):
                remote.on("message", lambda m: settle(received, m))

            @resident.on("track")
            def on_track(track):
                async def first_frame():
                    frame = await track.recv()
                    settle(frames, frame)

                tasks.append(asyncio.ensure_future(first_frame()))

            await professional.setLocalDescription(await professional.createOffer())
            # Only relay candidates: every path goes through coturn.
            assert "typ relay" in professional.localDescription.sdp
            assert "typ host" not in professional.localDescription.sdp
            await resident.setRemoteDescription(professional.localDescription)
            await resident.setLocalDescription(await resident.createAnswer())
            await professional.setRemoteDescription(resident.localDescription)
            await connected(professional)
            await connected(resident)
            await asyncio.wait_for(opened, 10)
            channel.send("hej genom TURN")
            assert await asyncio.wait_for(received, 10) == "hej genom TURN"
            frame = await asyncio.wait_for(frames, 10)
            assert frame.width > 0 and frame.height > 0
        finally:
            await professional.close()
            await resident.close()


async def test_wrong_credentials_do_not_get_through(settings, tmp_path):
    need(os.path.exists(TURNSERVER), "needs Debian's coturn: make system-packages")
    with coturn(SECRET, tmp_path) as (port, _log):
        settings.VIDEO_TURN_URLS = [f"turn:127.0.0.1:{port}?transport=udp"]
        settings.VIDEO_TURN_SECRET = "not-the-secret-coturn-has-0123456789abcdef"
        pc = peer(ice_servers(user_id="call-2-staff"), relay_only=True)
        try:
            pc.createDataChannel("chat")
            await pc.setLocalDescription(await pc.createOffer())
            assert "typ relay" not in pc.localDescription.sdp
        finally:
            await pc.close()
