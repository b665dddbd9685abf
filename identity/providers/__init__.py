"""Identity providers behind one interface (identity.providers.base), chosen by
settings: IDENTITY_PROVIDER names one of IDENTITY_PROVIDERS (name → class path).
Adding a provider (SAML) adds an entry there; no view changes."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from identity.providers.base import (
    Handoff,
    IdentificationFailure,
    Provider,
    ProviderError,
    Site,
    VerifiedIdentity,
)

__all__ = [
    "Handoff",
    "IdentificationFailure",
    "Provider",
    "ProviderError",
    "Site",
    "VerifiedIdentity",
    "get_provider",
]


def get_provider(name: str | None = None) -> Provider:
    """The configured provider, or the one called `name` (a pending request
    finishes with the provider it started with)."""
    name = name or settings.IDENTITY_PROVIDER
    try:
        path = settings.IDENTITY_PROVIDERS[name]
    except KeyError:
        raise ImproperlyConfigured(
            f"IDENTITY_PROVIDER {name!r} is not in IDENTITY_PROVIDERS."
        ) from None
    return import_string(path)(name=name)
