"""Redis down, for sockets: new ones are asked to retry later (close 4503, not
HTTP 500), established ones stay open on the pub/sub layer, and the outage is
logged once, with its duration at the end. A throwaway redis-server on a free
port is stopped and started; the shared one is never touched."""

import asyncio
import logging
import uuid

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from chatservice import background
from chatservice.asgi import application  # before caplog: it sets up logging again
from chatservice.settings import redis_channel_layer
from conversations import outages
from tests.conftest import ORIGIN, need, resident_cookie
from tests.reliability.faults import RedisServer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def redis_server(settings):
    need(RedisServer.available(), "needs redis-server on PATH")
    outages.channel_layer.recovered()  # start from "up", whatever earlier tests did
    server = RedisServer()
    server.start()
    settings.CHANNEL_LAYERS = {
        "default": redis_channel_layer(server.url(), "pubsub", prefix=f"t{uuid.uuid4().hex[:8]}")
    }
    yield server
    server.kill()
    outages.channel_layer.recovered()
    outages.database.recovered()


async def resident(conversation) -> WebsocketCommunicator:
    cookie = await database_sync_to_async(resident_cookie)(conversation)
    return WebsocketCommunicator(
        application, "/ws/v1/resident/", headers=[ORIGIN, (b"cookie", cookie)]
    )


async def test_redis_down_new_sockets_retry_later_established_ones_stay(
    conversation, redis_server, caplog
):
    caplog.set_level(logging.INFO)
    established = await resident(conversation)
    assert (await established.connect(timeout=5))[0]
    assert (await established.receive_json_from(timeout=5))["type"] == "hello"

    redis_server.kill()
    # Until this process notices (its pub/sub reader hits the closed connection), a
    # socket may still get through on the dying connection; wait for that, not a time.
    for _ in range(100):
        if outages.channel_layer.down:
            break
        await asyncio.sleep(0.05)
    assert outages.channel_layer.down
    refused = []
    for _ in range(3):
        newcomer = await resident(conversation)
        connected, _ = await newcomer.connect(timeout=5)
        closing = await newcomer.receive_output(timeout=5)
        refused.append((connected, closing["type"], closing.get("code")))
        await newcomer.wait(timeout=5)
    assert refused == [(True, "websocket.close", 4503)] * 3

    # The established socket answers as before.
    await established.send_json_to({"type": "ping"})
    assert (await established.receive_json_from(timeout=5))["type"] == "pong"

    redis_server.start()
    await background.probe_channel_layer()
    fresh = await resident(conversation)
    assert (await fresh.connect(timeout=5))[0]
    assert (await fresh.receive_json_from(timeout=5))["type"] == "hello"
    await fresh.disconnect()
    await established.disconnect()

    lines = [r.getMessage() for r in caplog.records if r.name == "conversations.outages"]
    assert len(lines) == 2, lines
    assert lines[0].startswith("channel layer unavailable")
    assert lines[1].startswith("channel layer available again after")
    assert not [r for r in caplog.records if r.exc_info], "no tracebacks during the outage"
