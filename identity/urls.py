"""Mounted at /identify/ without a language prefix (the callback address is
registered with the provider exactly)."""

from django.urls import path

from identity import views
from identity.standin import saml_views as standin_saml
from identity.standin import views as standin

app_name = "identity"
urlpatterns = [
    path("callback/", views.callback, name="callback"),
    path("jwks/", views.jwks, name="jwks"),
    # SAML (Suomi.fi e-Identification).
    path("saml/metadata/", views.saml_metadata, name="saml-metadata"),
    path("saml/acs/", views.saml_acs, name="saml-acs"),
    path("saml/acs/<str:key>/", views.saml_acs_continue, name="saml-acs-continue"),
    path("saml/slo/", views.saml_slo, name="saml-slo"),
    path("saml/logout/", views.saml_logout, name="saml-logout"),
    path("saml/logged-out/", views.saml_logged_out, name="saml-logged-out"),
    # The stand-in provider (development and tests only; 404 when disabled).
    path(
        "standin/.well-known/openid-configuration",
        standin.discovery,
        name="standin-discovery",
    ),
    path("standin/jwks", standin.jwks, name="standin-jwks"),
    path("standin/authorize", standin.authorize, name="standin-authorize"),
    path("standin/token", standin.token, name="standin-token"),
    path("standin/saml/metadata", standin_saml.metadata, name="standin-saml-metadata"),
    path("standin/saml/sso", standin_saml.sso, name="standin-saml-sso"),
    path("standin/saml/slo", standin_saml.slo, name="standin-saml-slo"),
    path("<str:token>/", views.start, name="start"),
]
