"""Video over the chat sockets: asking, consent, joining, signaling relayed only
between the two parties and only while the resident has allowed the call, and
two real WebRTC peers (aiortc) connected through the real consumers."""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

import pytest
from aiortc import RTCIceCandidate, RTCSessionDescription
from aiortc.sdp import candidate_from_sdp, candidate_to_sdp
from channels.db import database_sync_to_async

from conversations import actions as chat_actions
from tests.conftest import need, resident_cookie
from tests.factories import ConversationFactory, ServiceFactory, UserFactory
from tests.video.peers import TURNSERVER, camera, connected, coturn, peer, settle
from tests.video.test_turn import SECRET
from video.models import CallState, VideoCall

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("channel_layer")]

OFFER = {"type": "video.signal", "kind": "offer", "sdp": "v=0\r\n"}


@pytest.fixture
async def call_world(resident_socket, staff_socket):
    @database_sync_to_async
    def world():
        service = ServiceFactory()
        professional, colleague = UserFactory(), UserFactory()
        service.professionals.add(professional, colleague)
        conversation = ConversationFactory(service=service)
        chat_actions.claim_conversation(conversation_id=conversation.pk, professional=professional)
        other = ConversationFactory(service=service)
        chat_actions.claim_conversation(conversation_id=other.pk, professional=colleague)
        return conversation, other, professional, colleague

    conversation, other, professional, colleague = await world()
    return {
        "conversation": conversation,
        "resident": await resident_socket(conversation),
        "staff": await staff_socket(professional),
        "other_resident": await resident_socket(other),
        "colleague": await staff_socket(colleague),
    }


async def ask_and_allow(w) -> None:
    c = w["conversation"].pk
    await w["staff"].send({"type": "video.request", "conversation": c})
    assert (await w["resident"].recv_until("video.state"))["state"] == "requested"
    assert (await w["staff"].recv_until("video.state"))["state"] == "requested"
    await w["resident"].send({"type": "video.answer", "allow": True})
    assert (await w["staff"].recv_until("video.state"))["state"] == "accepted"
    assert (await w["resident"].recv_until("video.state"))["state"] == "accepted"


async def received_types(sock) -> set[str]:
    types = set()
    while not await sock.nothing(0.2):
        types.add((await sock.recv())["type"])
    return types


async def error_of(sock, frame) -> str:
    await sock.send(frame)
    return (await sock.recv_until("error"))["code"]


async def test_the_resident_cannot_start_a_call(call_world):
    code = await error_of(
        call_world["resident"],
        {"type": "video.request", "conversation": call_world["conversation"].pk},
    )
    assert code == "unknown_type"


async def test_signals_before_consent_are_refused(call_world):
    c = call_world["conversation"].pk
    await call_world["staff"].send({"type": "video.request", "conversation": c})
    await call_world["resident"].recv_until("video.state")
    assert await error_of(call_world["staff"], {**OFFER, "conversation": c}) == "not_consented"
    assert await error_of(call_world["resident"], OFFER) == "not_consented"


async def test_signals_pass_between_the_two_parties_only(call_world):
    w = call_world
    c = w["conversation"].pk
    await ask_and_allow(w)
    await w["staff"].send({**OFFER, "conversation": c})
    got = await w["resident"].recv_until("video.signal")
    assert (got["kind"], got["sdp"], got["conversation"]) == ("offer", "v=0\r\n", c)
    candidate = {"candidate": "candidate:1 1 udp 1 192.0.2.1 5000 typ host", "sdpMid": "0"}
    await w["resident"].send({"type": "video.signal", "kind": "ice", "candidate": candidate})
    back = await w["staff"].recv_until("video.signal")
    assert back["candidate"]["candidate"] == candidate["candidate"]
    # Never echoed to the sender, never to anyone else.
    assert await w["resident"].nothing() and await w["staff"].nothing()
    for sock in (w["other_resident"], w["colleague"]):
        assert "video.signal" not in await received_types(sock)


async def test_a_third_party_cannot_signal_or_hang_up(call_world):
    w = call_world
    c = w["conversation"].pk
    await ask_and_allow(w)
    assert await error_of(w["colleague"], {**OFFER, "conversation": c}) == "not_assigned"
    assert (
        await error_of(w["colleague"], {"type": "video.hangup", "conversation": c})
        == "not_assigned"
    )
    # The other conversation's resident can only address their own conversation.
    assert await error_of(w["other_resident"], {**OFFER, "conversation": c}) == "not_found"
    assert await error_of(w["other_resident"], OFFER) == "not_consented"


async def test_after_hanging_up_nothing_is_relayed(call_world):
    w = call_world
    c = w["conversation"].pk
    await ask_and_allow(w)
    await w["resident"].send({"type": "video.hangup"})
    ended = await w["staff"].recv_until("video.state")
    assert (ended["state"], ended["ended_by"], ended["end_reason"]) == (
        "ended",
        "resident",
        "hangup",
    )
    assert await error_of(w["staff"], {**OFFER, "conversation": c}) == "not_consented"


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        (
            {"type": "video.signal", "kind": "offer", "sdp": "v=0\r\n" + "a" * 20_001},
            "invalid_frame",
        ),
        (
            {"type": "video.signal", "kind": "offer", "sdp": "v=0\r\n" + "a" * 70_000},
            "frame_too_large",
        ),
        ({"type": "video.signal", "kind": "offer"}, "invalid_frame"),
        ({"type": "video.signal", "kind": "ice", "sdp": "v=0\r\n"}, "invalid_frame"),
        (
            {"type": "video.signal", "kind": "ice", "candidate": {"candidate": "x" * 1001}},
            "invalid_frame",
        ),
        (
            {"type": "video.signal", "kind": "ice", "candidate": {"candidate": "c", "extra": 1}},
            "invalid_frame",
        ),
        ({"type": "video.signal", "kind": "bye", "sdp": "v=0\r\n"}, "invalid_frame"),
        ({"type": "video.answer", "allow": "yes"}, "invalid_frame"),
    ],
)
async def test_oversized_or_malformed_signals_are_refused(call_world, frame, code):
    await ask_and_allow(call_world)
    assert await error_of(call_world["resident"], frame) == code
    assert await call_world["staff"].nothing()


async def test_joining_gives_this_party_its_ice_servers(call_world, settings):
    settings.VIDEO_TURN_URLS = ["turn:turn.example.org:3478"]
    settings.VIDEO_TURN_SECRET = "s" * 40
    w = call_world
    c = w["conversation"].pk
    await ask_and_allow(w)
    await w["resident"].send({"type": "video.join"})
    config = await w["resident"].recv_until("video.config")
    assert config["ice_servers"][0]["username"].endswith(f":call-{config['call']}-resident")
    assert (await w["staff"].recv_until("video.state"))["state"] == "active"
    joined = await w["staff"].recv_until("video.signal")
    # The other party hears that the resident joined, and nothing else: the
    # resident's credentials are the resident's.
    assert (joined["kind"], joined["sdp"], joined["candidate"]) == ("joined", None, None)
    assert await w["staff"].nothing()
    await w["staff"].send({"type": "video.join", "conversation": c})
    assert (await w["staff"].recv_until("video.config"))["ice_servers"][0]["username"].endswith(
        "-staff"
    )


async def relay_candidates(pc, sock, conversation: int | None) -> None:
    """Browsers trickle candidates; aiortc puts them in the SDP. Send them as
    `ice` frames anyway, as the browser client does."""
    for line in pc.localDescription.sdp.splitlines():
        if line.startswith("a=candidate:"):
            frame: dict[str, Any] = {
                "type": "video.signal",
                "kind": "ice",
                "candidate": {"candidate": line[2:], "sdpMid": "0", "sdpMLineIndex": 0},
            }
            if conversation:
                frame["conversation"] = conversation
            await sock.send(frame)


async def test_two_webrtc_peers_connect_through_the_chat_sockets(call_world):
    await webrtc_call(call_world, relay_only=False)


async def test_two_webrtc_peers_connect_through_turn_with_the_calls_credentials(
    call_world, settings, tmp_path
):
    """The same, with relay candidates only, through a real coturn that knows the
    app's secret: the credentials each party got in its video.config work."""
    need(os.path.exists(TURNSERVER), "needs Debian's coturn: make system-packages")
    settings.VIDEO_TURN_SECRET = SECRET
    with coturn(SECRET, tmp_path) as (port, _log):
        settings.VIDEO_TURN_URLS = [f"turn:127.0.0.1:{port}?transport=udp"]
        await webrtc_call(call_world, relay_only=True)


async def webrtc_call(w, *, relay_only: bool) -> None:
    c = w["conversation"].pk
    await ask_and_allow(w)
    await w["staff"].send({"type": "video.join", "conversation": c})
    staff_config = await w["staff"].recv_until("video.config")
    assert (await w["resident"].recv_until("video.signal"))["kind"] == "joined"
    await w["resident"].send({"type": "video.join"})
    resident_config = await w["resident"].recv_until("video.config")
    assert (await w["staff"].recv_until("video.signal"))["kind"] == "joined"

    professional = peer(staff_config["ice_servers"], relay_only=relay_only)
    resident = peer(resident_config["ice_servers"], relay_only=relay_only)
    loop = asyncio.get_running_loop()
    frames: asyncio.Future = loop.create_future()
    message: asyncio.Future = loop.create_future()
    tasks: list[asyncio.Future] = []
    try:
        professional.addTrack(camera())
        resident.addTrack(camera())
        channel = professional.createDataChannel("call")
        opened: asyncio.Future = loop.create_future()
        channel.on("open", lambda: settle(opened, True))

        @resident.on("track")
        def on_track(track):
            async def first():
                settle(frames, await track.recv())

            tasks.append(asyncio.ensure_future(first()))

        @resident.on("datachannel")
        def on_channel(remote):
            remote.on("message", lambda m: settle(message, m))

        await professional.setLocalDescription(await professional.createOffer())
        if relay_only:
            assert "typ relay" in professional.localDescription.sdp
            assert "typ host" not in professional.localDescription.sdp
        await w["staff"].send(
            {
                "type": "video.signal",
                "conversation": c,
                "kind": "offer",
                "sdp": professional.localDescription.sdp,
            }
        )
        offer = await w["resident"].recv_until("video.signal")
        await resident.setRemoteDescription(RTCSessionDescription(sdp=offer["sdp"], type="offer"))
        await resident.setLocalDescription(await resident.createAnswer())
        await w["resident"].send(
            {"type": "video.signal", "kind": "answer", "sdp": resident.localDescription.sdp}
        )
        await relay_candidates(resident, w["resident"], None)
        answer = await w["staff"].recv_until("video.signal")
        await professional.setRemoteDescription(
            RTCSessionDescription(sdp=answer["sdp"], type="answer")
        )
        # The trickled candidates arrive too (aiortc already has them from the SDP).
        while True:
            frame = json.loads(json.dumps(await w["staff"].recv_until("video.signal")))
            assert frame["kind"] == "ice"
            parsed: RTCIceCandidate = candidate_from_sdp(
                frame["candidate"]["candidate"][len("candidate:") :]
            )
            assert candidate_to_sdp(parsed)
            if await w["staff"].nothing(0.1):
                break
        await connected(professional)
        await connected(resident)
        await asyncio.wait_for(opened, 10)
        channel.send("hör du mig?")
        assert await asyncio.wait_for(message, 10) == "hör du mig?"
        frame = await asyncio.wait_for(frames, 10)
        assert frame.width > 0
    finally:
        await professional.close()
        await resident.close()
    await w["staff"].send({"type": "video.hangup", "conversation": c})
    call = await database_sync_to_async(VideoCall.objects.get)(conversation_id=c)
    assert call.state in (CallState.ACTIVE, CallState.ENDED)


async def test_the_resident_hears_of_the_call_in_video_frames_only(call_world):
    """Video changes reach the resident as `video.state`, not as a `conversation.state`."""
    await call_world["staff"].send(
        {"type": "video.request", "conversation": call_world["conversation"].pk}
    )
    types = await received_types(call_world["resident"])
    assert "video.state" in types and "conversation.state" not in types


async def reopened_resident(open_socket, conversation):
    """The resident's page again: the hello, then (before any sync) what it is told."""
    cookie = await database_sync_to_async(resident_cookie)(conversation)
    sock = await open_socket("/ws/v1/resident/", cookie, expect_hello=False)
    assert (await sock.recv())["type"] == "hello"
    return sock


async def test_a_page_opened_again_learns_of_the_call_and_rejoins(call_world, open_socket):
    """A reload during a call: the resident's new socket and the professional's
    reopened conversation are told the call's state, and joining again tells the
    other party to start a new connection."""
    w = call_world
    c = w["conversation"].pk
    await ask_and_allow(w)
    await w["resident"].send({"type": "video.join"})
    await w["resident"].recv_until("video.config")
    await w["staff"].recv_until("video.signal")
    await w["resident"].close()

    again = await reopened_resident(open_socket, w["conversation"])
    state = await again.recv()
    assert (state["conversation"], state["state"]) == (c, "active") and state["started"]
    await again.send({"type": "video.join"})
    await again.recv_until("video.config")
    assert (await w["staff"].recv_until("video.signal"))["kind"] == "joined"

    await w["staff"].send({"type": "conversation.open", "conversation": c})
    await w["staff"].recv_until("conversation.detail")
    assert (await w["staff"].recv_until("video.state"))["state"] == "active"
    # Nobody else hears of it.
    assert "video.state" not in await received_types(w["other_resident"])


async def test_no_call_no_video_state_on_opening(call_world, open_socket):
    w = call_world
    await w["resident"].close()
    again = await reopened_resident(open_socket, w["conversation"])
    assert await again.nothing()
