"""Production's channel layer (conversations.layers): channels-redis' pub/sub
layer, publishing a batch in one pipeline."""

import asyncio
import logging
import uuid

import pytest
from channels.layers import get_channel_layer

from chatservice.settings import redis_channel_layer
from conversations import realtime
from conversations.events import Typing
from tests.conftest import redis_url


@pytest.mark.redis
async def test_the_redis_layer_publishes_a_batch_in_one_pipeline_in_order(settings, caplog):
    """Production's layer (conversations.layers): the publisher hands it
    everything committed meanwhile; it arrives in commit order, and a message
    that cannot be sent is left out, not the batch."""
    settings.CHANNEL_LAYERS = {
        "default": redis_channel_layer(redis_url(), "pubsub", prefix=f"t{uuid.uuid4().hex[:8]}")
    }
    layer = get_channel_layer()
    assert hasattr(layer, "group_send_many")
    receiver = await layer.new_channel()
    for group in ("conversation.1", "conversation.2"):
        await layer.group_add(group, receiver)
    batch = [
        realtime.Outgoing.of(
            Typing(conversation=1 + i % 2, author_kind="staff", active=True, sender=f"s{i}")
        )
        for i in range(200)
    ]
    broken = realtime.Outgoing(
        event=Typing(conversation=1, author_kind="staff", active=True, sender="x"),
        message={"type": "typing.changed", "sender": object()},  # msgpack refuses it
        groups=("conversation.1",),
    )
    batch.insert(100, broken)
    with caplog.at_level(logging.ERROR, logger="conversations.realtime"):
        await realtime._send_pipelined(layer, batch)
    got = [(await asyncio.wait_for(layer.receive(receiver), 5))["sender"] for _ in range(200)]
    assert got == [f"s{i}" for i in range(200)]
    assert "publishing typing.changed failed (TypeError)" in caplog.text
