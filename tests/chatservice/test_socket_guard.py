"""The websocket stack's guard: an outage before a consumer runs is a close
with 4503 "try again later", not HTTP 500; a bug stays a bug."""

import logging

import pytest
from django.db import OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError

from chatservice.socket_guard import SocketGuard
from conversations import outages


@pytest.fixture(autouse=True)
def _outages_reset():
    yield
    outages.database.recovered()
    outages.channel_layer.recovered()


def failing(exc: Exception, *, accept_first: bool = False):
    async def app(scope, receive, send):
        if accept_first:
            await send({"type": "websocket.accept"})
        raise exc

    return app


async def run(app) -> list[dict]:
    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "websocket.connect"}

    await SocketGuard(app)({"type": "websocket"}, receive, send)
    return sent


@pytest.mark.parametrize(
    "exc", [OperationalError("database down"), RedisConnectionError("redis down")]
)
async def test_an_outage_before_accept_is_a_close_with_4503(exc, caplog):
    caplog.set_level(logging.WARNING)
    for _ in range(3):
        assert await run(failing(exc)) == [
            {"type": "websocket.accept"},
            {"type": "websocket.close", "code": 4503},
        ]
    outage_lines = [r for r in caplog.records if r.name == "conversations.outages"]
    assert len(outage_lines) == 1 and not any(r.exc_info for r in caplog.records)


async def test_an_outage_after_accept_closes_once_with_4503():
    assert await run(failing(OperationalError("down"), accept_first=True)) == [
        {"type": "websocket.accept"},
        {"type": "websocket.close", "code": 4503},
    ]


async def test_anything_else_is_not_hidden():
    with pytest.raises(ValueError):
        await run(failing(ValueError("a bug")))
