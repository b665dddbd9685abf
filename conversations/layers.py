"""The embedded configuration's channel layer.

Channels' `InMemoryChannelLayer` sweeps expired messages and group memberships
on every `receive` and `group_send`, walking every channel and every group: at
a few hundred sockets that sweep was the largest single item of the event loop
on the message path (docs/benchmarks.md). Here it runs at most once per
SWEEP_SECONDS; messages and memberships still expire, at most that much later.
Production uses Redis and is not affected.
"""

from __future__ import annotations

import time

from channels.layers import InMemoryChannelLayer

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
