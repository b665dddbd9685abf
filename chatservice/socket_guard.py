"""An outage must not turn a socket handshake into HTTP 500.

Before a consumer runs, the websocket stack loads the session and the user
(the database) and creates the consumer's channel (the channel layer: Redis).
When either is down that raises outside any consumer code, and the server
answers the handshake with HTTP 500 and a traceback, for every attempt. This
middleware answers instead with close code 4503 "try again later" (the
clients reconnect with backoff), logs the outage once (conversations.outages)
and lets anything that is not an outage through unchanged.
"""

from __future__ import annotations

import contextlib

from conversations import outages
from conversations.consumers import CLOSE_TRY_AGAIN_LATER


class SocketGuard:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            return await self.app(scope, receive, send)
        state = {"accepted": False, "closed": False}

        async def tracked_send(message):
            if message["type"] == "websocket.accept":
                state["accepted"] = True
            elif message["type"] == "websocket.close":
                state["closed"] = True
            await send(message)

        try:
            return await self.app(scope, receive, tracked_send)
        except Exception as exc:
            if not outages.note(exc):
                raise
            if state["closed"]:
                return None
            with contextlib.suppress(Exception):  # the client may be gone already
                if not state["accepted"]:
                    await send({"type": "websocket.accept"})
                await send({"type": "websocket.close", "code": CLOSE_TRY_AGAIN_LATER})
            return None
