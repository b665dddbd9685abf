"""Every WebSocket's life in this process: its request id, one log line when it
opens and one when it closes, the open-sockets gauge, and graceful shutdown.

Graceful shutdown (SIGTERM: `docker compose stop`, a rolling upgrade): the
process stops being ready (/readyz answers 503, so the load balancer sends no
new connections), closes every socket with CLOSE_GOING_AWAY (4001, "reconnect,
to another server"; docs/protocol.md) and then stops as daphne would have.
A frame that is being handled when the signal arrives is finished first — the
message is committed and acknowledged — and the socket is closed when its
consumer asks for the next frame; frames received after that are not handed
to the consumer, so they are neither stored nor acknowledged and the client
sends them again after reconnecting. Whatever has not closed after
SHUTDOWN_GRACE_SECONDS is closed anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time

from django.conf import settings

from chatservice import metrics
from chatservice.requestlog import logger as request_logger
from chatservice.requestlog import request_id_from, reset_request_id, set_request_id

logger = logging.getLogger(__name__)

CLOSE_GOING_AWAY = 4001

_sockets: set[_Socket] = set()
_shutdown: dict[str, object] = {"started": False, "installed_for": None}


def shutting_down() -> bool:
    return bool(_shutdown["started"])


def socket_kind(path: str) -> str:
    if path.startswith("/ws/v1/resident/"):
        return "resident"
    if path.startswith("/ws/v1/staff/"):
        return "staff"
    return "other"


class _Socket:
    def __init__(self, send) -> None:
        self._send = send
        self.accepted = False
        self.closed = False
        self.busy = False  # a received frame is being handled
        self.close_code: int | None = None

    async def close_for_shutdown(self) -> None:
        if self.closed or not self.accepted:
            return
        self.closed = True
        self.close_code = CLOSE_GOING_AWAY
        with contextlib.suppress(Exception):  # the client may be gone already
            await self._send({"type": "websocket.close", "code": CLOSE_GOING_AWAY})


class Lifecycle:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        install_shutdown_handler()
        if scope["type"] != "websocket":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        request_id = request_id_from(headers.get(b"x-request-id", b"").decode("latin-1"))
        token = set_request_id(request_id)
        kind = socket_kind(scope.get("path", ""))
        sock = _Socket(send)
        opened = time.monotonic()

        async def tracked_send(message):
            if message["type"] == "websocket.accept":
                if shutting_down():  # no new sockets while draining: try another server
                    sock.accepted = True
                    await send(message)
                    await sock.close_for_shutdown()
                    return
                sock.accepted = True
                _sockets.add(sock)
                metrics.OPEN_SOCKETS.labels(kind=kind).inc()
                _log("socket.open", kind, request_id)
            elif message["type"] == "websocket.close":
                if sock.closed:
                    return
                sock.closed = True
                sock.close_code = message.get("code", 1000)
            elif sock.closed:
                return  # after the shutdown close: nothing more goes out
            await send(message)

        async def tracked_receive():
            sock.busy = False
            if shutting_down() and sock.accepted:
                await sock.close_for_shutdown()
            while True:
                message = await receive()
                if message["type"] == "websocket.disconnect":
                    if sock.close_code is None:
                        sock.close_code = message.get("code")
                    return message
                if message["type"] == "websocket.receive" and sock.closed:
                    continue  # arrived after the shutdown close: not handled, not acked
                sock.busy = message["type"] == "websocket.receive"
                return message

        try:
            return await self.app(scope, tracked_receive, tracked_send)
        finally:
            if sock in _sockets:
                _sockets.discard(sock)
                metrics.OPEN_SOCKETS.labels(kind=kind).dec()
                _log(
                    "socket.close",
                    kind,
                    request_id,
                    code=sock.close_code,
                    duration_s=round(time.monotonic() - opened, 1),
                )
            reset_request_id(token)


def _log(event: str, kind: str, request_id: str, **fields) -> None:
    if settings.LOG_REQUESTS:
        request_logger.info(
            "%s %s",
            event,
            kind,
            extra={"event": event, "kind": kind, "request_id": request_id, **fields},
        )


def install_shutdown_handler() -> None:
    """Take over SIGTERM in this process's event loop (once per loop); the previous
    handler (daphne's: stop the reactor) runs when the sockets are closed."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    if _shutdown["installed_for"] is loop:
        return
    _shutdown["installed_for"] = loop
    try:
        previous = signal.getsignal(signal.SIGTERM)
        if not callable(previous):
            # No server installed a handler (a test's event loop, a management
            # command): SIGTERM keeps its default.
            return

        def on_sigterm(signum, frame):
            loop.call_soon_threadsafe(lambda: loop.create_task(_drain(previous)))

        signal.signal(signal.SIGTERM, on_sigterm)
    except ValueError:  # not the main thread: no signals here
        _shutdown["installed_for"] = None


async def _drain(previous) -> None:
    if _shutdown["started"]:
        return
    _shutdown["started"] = True
    metrics.SHUTTING_DOWN.set(1)
    logger.info("SIGTERM: closing %d sockets with %d", len(_sockets), CLOSE_GOING_AWAY)
    deadline = time.monotonic() + settings.SHUTDOWN_GRACE_SECONDS
    # Idle sockets close now; busy ones when their frame is done (tracked_receive).
    for sock in list(_sockets):
        if not sock.busy:
            await sock.close_for_shutdown()
    while any(not s.closed for s in _sockets) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    for sock in list(_sockets):
        await sock.close_for_shutdown()
    # Let the close frames go out and the consumers run their disconnect handlers.
    while _sockets and time.monotonic() < deadline + 1:
        await asyncio.sleep(0.05)
    logger.info("SIGTERM: sockets closed, stopping")
    previous(signal.SIGTERM, None)
