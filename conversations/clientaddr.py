"""The client's address behind reverse proxies, for rate limits and the audit log.
In the core because every app below the wiring needs it (intake limits, staff audit).

Each proxy appends the address it received the request from to X-Forwarded-For,
so the right-most entries are written by our own proxies and everything to their
left by whoever sent the request, possibly the client itself. With
TRUSTED_PROXY_COUNT = n the client is therefore the n-th entry from the right;
taking the first (left-most) entry, as daphne's --proxy-headers does, lets any
client choose its own address by sending the header, and so bypass a per-address
limit. With n = 0 (no proxy) the header is ignored and the TCP peer is the client.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings


def _clean(value: str) -> str | None:
    """An address as written by a proxy ("192.0.2.1", "2001:db8::1", optionally
    "[v6]:port" or "v4:port"), normalised; None when it is not an address."""
    value = value.strip()
    if value.startswith("["):  # [2001:db8::1]:443
        value = value[1:].partition("]")[0]
    elif value.count(":") == 1:  # 192.0.2.1:443
        value = value.partition(":")[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def resolve(peer: str | None, forwarded_for: str | None, proxy_count: int) -> str | None:
    """The client's address given the TCP peer, the X-Forwarded-For value (all
    headers joined with ",") and the number of trusted proxies in front.

    A request with fewer entries than trusted proxies did not pass through all of
    them (it reached an inner proxy or the server directly), so none of its
    entries can be trusted and the peer is taken."""
    if proxy_count <= 0 or not forwarded_for:
        return peer
    hops = forwarded_for.split(",")
    if len(hops) < proxy_count:
        return peer
    return _clean(hops[-proxy_count]) or peer


def client_address(request: Any) -> str | None:
    """The client's address for an HTTP request (see the module docstring)."""
    return resolve(
        request.META.get("REMOTE_ADDR"),
        request.META.get("HTTP_X_FORWARDED_FOR"),
        settings.TRUSTED_PROXY_COUNT,
    )


def _header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> str | None:
    values = [value.decode("latin-1") for key, value in headers if key.lower() == name]
    return ",".join(values) if values else None


def client_address_from_scope(scope: Mapping[str, Any]) -> str | None:
    """The client's address for an ASGI scope (a WebSocket), by the same rule."""
    peer = (scope.get("client") or [None])[0]
    return resolve(
        peer,
        _header(scope.get("headers") or [], b"x-forwarded-for"),
        settings.TRUSTED_PROXY_COUNT,
    )
