"""The channel layers: the embedded configuration's, and production's Redis
pub/sub layer with pipelined publishing.

Channels' `InMemoryChannelLayer` sweeps expired messages and group memberships
on every `receive` and `group_send`, walking every channel and every group: at
a few hundred sockets that sweep was the largest single item of the event loop
on the message path (docs/benchmarks.md). Here it runs at most once per
SWEEP_SECONDS; messages and memberships still expire, at most that much later.
Production uses Redis and is not affected.

channels-redis' pub/sub layer publishes one message per round trip, under one
lock per Redis connection: every `group_send` of a process waits for the one
before it to come back, and each wait is a turn of a busy event loop. Under
load that, not Redis, capped how fast a process could publish, and deliveries
fell seconds behind the acks across processes (docs/benchmarks.md).
`PipelinedRedisPubSubChannelLayer.group_send_many` sends everything the
publisher has at that moment in one pipeline: one round trip, in order.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from channels.layers import InMemoryChannelLayer
from channels_redis.pubsub import RedisPubSubChannelLayer

SWEEP_SECONDS = 1.0


class SweepingInMemoryChannelLayer(InMemoryChannelLayer):
    """`InMemoryChannelLayer` whose expiry sweep runs on a clock, not per call."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._next_sweep = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_SECONDS
        super()._clean_expired()


class PipelinedRedisPubSubChannelLayer(RedisPubSubChannelLayer):
    """channels-redis' pub/sub layer, with `group_send_many`."""

    async def group_send_many(
        self,
        sends: Sequence[tuple[str, dict[str, Any]]],
        refused: Callable[[int, Exception], None] | None = None,
    ) -> None:
        """`group_send` each (group, message), in this order, one round trip per
        Redis shard. A message that cannot be serialised is left out and handed
        to `refused` with its index (raised without it); the others go out."""
        layer = self._get_layer()
        by_shard: dict[Any, list[tuple[str, bytes]]] = {}
        for index, (group, message) in enumerate(sends):
            try:
                data = self.serialize(message)
            except Exception as exc:
                if refused is None:
                    raise
                refused(index, exc)
                continue
            channel = layer._get_group_channel_name(group)
            by_shard.setdefault(layer._get_shard(channel), []).append((channel, data))
        for shard, publishes in by_shard.items():
            # The shard's own lock and connection, as its `publish` uses them
            # (channels-redis 4.3, pinned in requirements.lock).
            async with shard._lock:
                shard._ensure_redis()
                pipe = shard._redis.pipeline(transaction=False)
                for channel, data in publishes:
                    pipe.publish(channel, data)
                await pipe.execute()
