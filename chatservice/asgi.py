"""ASGI entry point: HTTP through Django, WebSockets through Channels."""

import asyncio
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatservice.settings")
django_asgi_app = get_asgi_application()

# daphne runs no system checks: production refuses to start on a demo database here.
from chatservice.checks import refuse_unsafe_start  # noqa: E402

refuse_unsafe_start()

# Imported after Django is set up: the routing imports models.
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from chatservice.background import start_background  # noqa: E402
from chatservice.lifecycle import Lifecycle  # noqa: E402
from chatservice.routing import websocket_urlpatterns  # noqa: E402
from chatservice.socket_guard import SocketGuard  # noqa: E402
from conversations.realtime import server_loop  # noqa: E402


def _http_app():
    if settings.SERVE_STATIC:
        from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

        return ASGIStaticFilesHandler(django_asgi_app)
    return django_asgi_app


class ServerContext:
    """Marks everything below it as running inside the server: realtime events
    published from the database thread are handed to this event loop
    (conversations.realtime.server_loop) instead of blocking that thread."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        server_loop.set(asyncio.get_running_loop())
        start_background()  # this process's heartbeat and sweeps, once per loop
        return await self.app(scope, receive, send)


# Lifecycle: request ids and log lines of sockets, the open-sockets gauge, and
# graceful shutdown on SIGTERM (sockets closed with 4001: reconnect elsewhere).
application = ServerContext(
    Lifecycle(
        ProtocolTypeRouter(
            {
                "http": _http_app(),
                "websocket": SocketGuard(
                    AllowedHostsOriginValidator(
                        AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
                    )
                ),
            }
        )
    )
)
