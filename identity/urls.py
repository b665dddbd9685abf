"""Mounted at /identify/ without a language prefix (the callback address is
registered with the provider exactly)."""

from django.urls import path

from identity import views
from identity.standin import views as standin

app_name = "identity"
urlpatterns = [
    path("callback/", views.callback, name="callback"),
    path("jwks/", views.jwks, name="jwks"),
    # The stand-in provider (development and tests only; 404 when disabled).
    path(
        "standin/.well-known/openid-configuration",
        standin.discovery,
        name="standin-discovery",
    ),
    path("standin/jwks", standin.jwks, name="standin-jwks"),
    path("standin/authorize", standin.authorize, name="standin-authorize"),
    path("standin/token", standin.token, name="standin-token"),
    path("<str:token>/", views.start, name="start"),
]
