"""Uploads per conversation and party in a fixed window, in the shared cache
(Redis in production). Every attempt that passes the gate counts, refused or
not: the limit's job is to stop someone hammering the validator and scanner."""

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone


def _key(conversation_id: int, party: str) -> str:
    window = int(timezone.now().timestamp()) // settings.ATTACHMENT_RATE_WINDOW_SECONDS
    return f"rl:attachments:{conversation_id}:{party}:{window}"


def hit(*, conversation_id: int, party: str) -> bool:
    """Count one upload attempt; True while within ATTACHMENT_RATE_LIMIT per window."""
    key = _key(conversation_id, party)
    timeout = settings.ATTACHMENT_RATE_WINDOW_SECONDS + 1
    cache.add(key, 0, timeout=timeout)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=timeout)
        count = 1
    return count <= settings.ATTACHMENT_RATE_LIMIT
