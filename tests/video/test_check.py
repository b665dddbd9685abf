"""The pre-call connection test: a browser-like aiortc peer sends an offer to the
server's endpoint, gets the server peer's answer, and receives its own video
back, pings answered and the server's stats; the time limit, the concurrency
cap and the switch are enforced."""

import asyncio
import json

import pytest
from aiortc import RTCSessionDescription
from asgiref.sync import sync_to_async
from django.test import AsyncClient

from tests.factories import UserFactory
from tests.video.peers import camera, connected, peer, settle
from video.echo import checks

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def staff_client():
    user = await sync_to_async(UserFactory)()
    client = AsyncClient()
    await sync_to_async(client.force_login)(
        user, backend="django.contrib.auth.backends.ModelBackend"
    )
    yield client
    await checks.close_all()


async def offer_of(pc) -> dict:
    await pc.setLocalDescription(await pc.createOffer())
    return {"type": "offer", "sdp": pc.localDescription.sdp}


async def post(client, body) -> tuple[int, dict]:
    response = await client.post(
        "/video/check/", data=json.dumps(body), content_type="application/json"
    )
    return response.status_code, json.loads(response.content)


async def test_the_browser_gets_its_own_video_back_and_its_pings_answered(staff_client):
    pc = peer()
    loop = asyncio.get_running_loop()
    echoed: asyncio.Future = loop.create_future()
    messages: asyncio.Queue = asyncio.Queue()
    opened: asyncio.Future = loop.create_future()
    tasks: list[asyncio.Future] = []
    try:
        pc.addTrack(camera())
        channel = pc.createDataChannel("check")
        channel.on("open", lambda: settle(opened, True))
        channel.on("message", messages.put_nowait)

        @pc.on("track")
        def on_track(track):
            async def first():
                frame = await track.recv()
                settle(echoed, frame)

            tasks.append(asyncio.ensure_future(first()))

        status, answer = await post(staff_client, await offer_of(pc))
        assert status == 200 and answer["type"] == "answer"
        await pc.setRemoteDescription(RTCSessionDescription(**answer))
        await connected(pc)
        await asyncio.wait_for(opened, 10)
        channel.send("ping 42")
        assert await asyncio.wait_for(messages.get(), 10) == "pong 42"
        frame = await asyncio.wait_for(echoed, 10)
        assert frame.width > 0
        channel.send("stats")
        stats = json.loads(await asyncio.wait_for(messages.get(), 10))
        assert stats["type"] == "stats" and "rtt" in stats and "packets_lost" in stats
        assert checks.count == 1
    finally:
        await pc.close()


async def test_a_test_ends_by_itself_after_its_time(staff_client, settings):
    settings.VIDEO_CHECK_SECONDS = 1
    pc = peer()
    try:
        pc.addTrack(camera())
        status, _answer = await post(staff_client, await offer_of(pc))
        assert status == 200 and checks.count == 1

        async def ended():
            while checks.count:
                await asyncio.sleep(0.05)

        await asyncio.wait_for(ended(), 10)
    finally:
        await pc.close()


async def test_the_number_of_tests_at_a_time_is_capped(staff_client, settings):
    settings.VIDEO_CHECK_MAX_CONCURRENT = 1
    first, second = peer(), peer()
    try:
        first.addTrack(camera())
        second.addTrack(camera())
        assert (await post(staff_client, await offer_of(first)))[0] == 200
        status, body = await post(staff_client, await offer_of(second))
        assert (status, body["code"]) == (429, "check_busy")
        assert checks.count == 1
    finally:
        await first.close()
        await second.close()


async def test_switched_off_by_settings(staff_client, settings):
    settings.VIDEO_CHECK_ENABLED = False
    pc = peer()
    try:
        pc.addTrack(camera())
        status, body = await post(staff_client, await offer_of(pc))
        assert (status, body["code"]) == (503, "check_unavailable")
    finally:
        await pc.close()


@pytest.mark.parametrize(
    "body",
    [
        {"type": "answer", "sdp": "v=0\r\n"},
        {"type": "offer", "sdp": "not sdp"},
        {"type": "offer", "sdp": "v=0\r\n" + "a" * 30_000},
        {"type": "offer"},
        ["offer"],
        "v=0",
    ],
)
async def test_a_bad_offer_gets_a_clear_error(staff_client, body):
    status, answer = await post(staff_client, body)
    assert (status, answer["code"]) == (400, "invalid_offer")
    assert checks.count == 0


async def test_a_malformed_sdp_is_refused_without_a_trace(staff_client):
    status, answer = await post(staff_client, {"type": "offer", "sdp": "v=0\r\nm=nonsense\r\n"})
    assert (status, answer["code"]) == (400, "invalid_offer")
    assert checks.count == 0


async def test_only_residents_with_a_chat_and_professionals_may_test():
    status, body = await post(AsyncClient(), {"type": "offer", "sdp": "v=0\r\n"})
    assert (status, body["code"]) == (403, "forbidden")
