"""Message rate limits on the sockets: per socket and per conversation.

Token buckets in the process's memory. The per-conversation bucket is shared by
the sockets of that conversation in one process (a resident's second tab, a
professional's); with several processes each counts its own, which still caps
a burst at a small multiple. Settings: CHAT_RATE_PER_SECOND, CHAT_RATE_BURST.
"""

from __future__ import annotations

import time

from django.conf import settings


class TokenBucket:
    def __init__(self, *, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.stamp = time.monotonic()

    def take(self) -> float:
        """Take one token: 0.0 when allowed, else the seconds until one is free."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate

    @property
    def full(self) -> bool:
        return self.tokens + (time.monotonic() - self.stamp) * self.rate >= self.burst


_conversations: dict[int, TokenBucket] = {}
_PRUNE_AT = 10_000


def conversation_bucket(conversation_id: int) -> TokenBucket:
    bucket = _conversations.get(conversation_id)
    if bucket is None:
        if len(_conversations) >= _PRUNE_AT:
            for key in [k for k, b in _conversations.items() if b.full]:
                del _conversations[key]
        # Two parties write in a conversation: twice one socket's allowance.
        bucket = _conversations[conversation_id] = TokenBucket(
            rate=2 * settings.CHAT_RATE_PER_SECOND, burst=2 * settings.CHAT_RATE_BURST
        )
    return bucket
