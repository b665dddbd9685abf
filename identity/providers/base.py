"""The provider interface: what every identity provider (OIDC today, SAML next)
offers the handoff in identity.actions. No view knows which provider runs.

- `start(site, language)` builds the redirect to the provider and says what must
  be kept server-side until the callback (`Handoff`).
- `correlation(params)` reads, from the callback's parameters, the value that
  finds the pending request again (OIDC `state`, SAML `RelayState`).
- `finish(site, params, secrets)` validates the callback and returns the verified
  person or a typed failure; it never raises for anything the provider or the
  browser sent.
- `logout(site, binding)` is the provider's logout URL, or None.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from identity.models import FailureCode, Level


@dataclass(frozen=True)
class Site:
    """Where this service is reached in the current request: `origin` is
    `https://chat.example.fi` (the callback and, in development, the stand-in
    provider live under it)."""

    origin: str


@dataclass(frozen=True)
class Handoff:
    redirect_url: str
    # Comes back in the callback; only its digest is stored.
    correlation: str
    # Kept server-side until the callback consumes them once (OIDC: nonce, PKCE verifier).
    secrets: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class VerifiedIdentity:
    """A person as the provider vouched for them. `hetu` is empty for people
    identified without a Finnish personal identity code (eIDAS); `subject` is the
    provider's stable identifier of the person at `issuer`."""

    issuer: str
    subject: str
    level: Level
    acr: str
    given_names: str
    family_name: str
    birth_date: date | None
    hetu: str = ""
    authenticated_at: datetime | None = None

    def __repr__(self) -> str:  # never print the code or the names by accident
        return f"VerifiedIdentity(level={self.level!r}, has_hetu={bool(self.hetu)})"


@dataclass(frozen=True)
class IdentificationFailure:
    code: FailureCode
    # For the log: which check failed, never a value from the token.
    reason: str = ""


class ProviderError(Exception):
    """The provider could not be reached or answered nonsense while starting."""


class Provider(Protocol):
    name: str

    def start(self, *, site: Site, language: str) -> Handoff: ...

    def correlation(self, params: Mapping[str, str]) -> str | None: ...

    def finish(
        self,
        *,
        site: Site,
        params: Mapping[str, str],
        secrets: Mapping[str, Any],
        now: datetime | None = None,
    ) -> VerifiedIdentity | IdentificationFailure: ...

    def logout(self, *, site: Site) -> str | None: ...
