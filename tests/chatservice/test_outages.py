"""Redis down, for sockets: new ones are asked to retry later (close 4503, not
HTTP 500), established ones stay open on the pub/sub layer, and the outage is
logged once, with its duration at the end. A throwaway redis-server on a free
port is stopped and started; the shared one is never touched."""

import asyncio
import logging
import shutil
import socket
import subprocess
import time
import uuid

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from chatservice import background
from chatservice.asgi import application  # before caplog: it sets up logging again
from chatservice.settings import redis_channel_layer
from conversations import outages
from tests.conftest import ORIGIN, need, resident_cookie

pytestmark = pytest.mark.django_db(transaction=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ThrowawayRedis:
    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.1):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


@pytest.fixture
def redis_server(settings):
    need(shutil.which("redis-server") is not None, "needs redis-server on PATH")
    outages.channel_layer.recovered()  # start from "up", whatever earlier tests did
    server = ThrowawayRedis()
    server.start()
    settings.CHANNEL_LAYERS = {
        "default": redis_channel_layer(server.url, "pubsub", prefix=f"t{uuid.uuid4().hex[:8]}")
    }
    yield server
    server.stop()
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

    redis_server.stop()
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
