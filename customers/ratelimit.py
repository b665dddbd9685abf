"""Fixed-window counters in the shared cache (Redis in production).

The intake limit is checked before a submission and counted only after a
conversation was actually started (`exceeded` then `record`), so typing errors
never lock a resident out. Two concurrent submissions may both pass the check
and go one over the limit: harmless for a limit whose job is to stop floods.
"""

import ipaddress

from django.core.cache import cache
from django.utils import timezone

from conversations import clientaddr


def _cache_key(scope: str, key: str, window_seconds: int) -> str:
    window = int(timezone.now().timestamp()) // window_seconds
    return f"rl:{scope}:{key}:{window}"


def exceeded(*, scope: str, key: str, limit: int, window_seconds: int) -> bool:
    """True when `limit` attempts were already counted in this window. Counts nothing."""
    return (cache.get(_cache_key(scope, key, window_seconds)) or 0) >= limit


def record(*, scope: str, key: str, window_seconds: int) -> int:
    """Count one attempt in this window; the count so far."""
    cache_key = _cache_key(scope, key, window_seconds)
    cache.add(cache_key, 0, timeout=window_seconds + 1)
    try:
        return cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=window_seconds + 1)
        return 1


def hit(*, scope: str, key: str, limit: int, window_seconds: int) -> bool:
    """Count one attempt; True while the caller is within `limit` per window."""
    return record(scope=scope, key=key, window_seconds=window_seconds) <= limit


def client_address(request) -> str:
    # The right-most trusted X-Forwarded-For hop, never what the client claims.
    return clientaddr.client_address(request) or "unknown"


def address_key(address: str) -> str:
    """The unit a limit per client address counts.

    IPv4: the address. Public computers (a library, a school, a health station)
    share one address behind NAT, which is why the intake limit per address is
    generous (INTAKE_RATE_LIMIT). A per-session or per-cookie key cannot replace
    it: a client that wants to flood the queues simply drops its cookies.

    IPv6: the /64 network. One host usually holds a whole /64 and can pick new
    addresses in it at will, so counting single addresses would not limit it.
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:192.0.2.1 is the IPv4 client
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
