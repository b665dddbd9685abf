"""ICE servers for one call: STUN as configured, and TURN credentials that
expire, by the TURN REST scheme coturn checks with `use-auth-secret`:
username = "<expiry unix time>:<id>", credential = base64(HMAC-SHA1(secret, username)).
Handed only to the call's two parties."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone


def turn_credentials(*, user_id: str, now: datetime | None = None) -> tuple[str, str]:
    now = now or timezone.now()
    expiry = int(now.timestamp()) + int(settings.VIDEO_TURN_TTL_SECONDS)
    username = f"{expiry}:{user_id}"
    digest = hmac.new(settings.VIDEO_TURN_SECRET.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def ice_servers(*, user_id: str, now: datetime | None = None) -> list[dict[str, Any]]:
    """The RTCIceServer list for a browser (or an aiortc peer) of one call.
    `user_id` names the call and the party (e.g. "call-12-resident"), never a person."""
    servers: list[dict[str, Any]] = []
    if settings.VIDEO_STUN_URLS:
        servers.append({"urls": list(settings.VIDEO_STUN_URLS)})
    if settings.VIDEO_TURN_URLS and settings.VIDEO_TURN_SECRET:
        username, credential = turn_credentials(user_id=user_id, now=now)
        servers.append(
            {"urls": list(settings.VIDEO_TURN_URLS), "username": username, "credential": credential}
        )
    return servers
