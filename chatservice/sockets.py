"""The answer to a WebSocket handshake on a path no consumer serves."""

import logging

logger = logging.getLogger(__name__)


class UnknownSocketPath:
    """Refuse the handshake (daphne answers HTTP 403) and log one line, as Django
    does for a 404 page. Without it, Channels' router raises ValueError ("No route
    found"), which daphne answers with HTTP 500 and a traceback per attempt."""

    async def __call__(self, scope, receive, send):
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        logger.warning("Not Found (WebSocket): %s", scope.get("path", ""))
        await send({"type": "websocket.close"})
