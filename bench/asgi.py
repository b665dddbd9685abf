"""The application under test plus two bare baselines, served by the same daphne
process so that every figure of a run comes from the same server software:

- /bench/echo/           a bare WebSocket echo consumer;
- /bench/relay/<room>/   a bare Channels group relay between the sockets of a room
                         (no database, no validation, no session).
Everything else goes to the real application (chatservice.asgi)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatservice.settings")

from channels.generic.websocket import AsyncWebsocketConsumer
from channels.routing import URLRouter
from django.urls import path

from chatservice.asgi import application as chat_application


class EchoConsumer(AsyncWebsocketConsumer):
    async def receive(self, text_data=None, bytes_data=None):
        await self.send(text_data=text_data)


class RelayConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        self.room = f"bench.{self.scope['url_route']['kwargs']['room']}"
        await self.channel_layer.group_add(self.room, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        await self.channel_layer.group_discard(self.room, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        await self.channel_layer.group_send(self.room, {"type": "relay.message", "text": text_data})

    async def relay_message(self, event):
        await self.send(text_data=event["text"])


bench_router = URLRouter(
    [
        path("bench/echo/", EchoConsumer.as_asgi()),
        path("bench/relay/<str:room>/", RelayConsumer.as_asgi()),
    ]
)


async def application(scope, receive, send):
    if scope["type"] == "websocket" and scope["path"].startswith("/bench/"):
        return await bench_router(scope, receive, send)
    return await chat_application(scope, receive, send)
