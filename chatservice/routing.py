"""WebSocket routes: one socket per open page."""

from django.urls import path, re_path

from chatservice.sockets import UnknownSocketPath
from customers.consumers import ResidentConsumer
from staff.consumers import StaffConsumer

websocket_urlpatterns = [
    path("ws/v1/resident/", ResidentConsumer.as_asgi()),
    path("ws/v1/staff/", StaffConsumer.as_asgi()),
    re_path(r"", UnknownSocketPath()),  # last: any other path is refused, not a 500
]
