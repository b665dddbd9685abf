"""OpenID Connect relying party, Finnish Trust Network profile (Traficom
recommendation 213/2023 S), written to the specifications rather than to any one
provider:

- authorization code flow (OpenID Connect Core 3.1) with PKCE S256 (RFC 7636);
- the authorization request as a signed request object passed by value
  (`request=`, RFC 9101); the URL repeats only `client_id`, `response_type` and
  `scope`, as OpenID Connect Core 6.1 requires;
- `private_key_jwt` client authentication at the token endpoint (RFC 7523,
  OpenID Connect Core 9);
- the ID token signed by the provider (JWS, RS256/ES256/PS256 allow-listed) and
  encrypted to our key (JWE, RSA-OAEP/RSA-OAEP-256 with A128GCM/A256GCM): a
  nested JWT (RFC 7519 5.2);
- provider metadata from discovery (OpenID Connect Discovery 4), cached; the
  provider's JWKS cached and fetched again when a token names an unknown `kid`.
  `jku`, `x5u`, `jwk` and `x5c` headers are never used to find a key;
- validation of `iss`, `aud` (+ `azp`), `exp`, `iat`, `nbf` (with a small clock
  skew), `nonce`, `acr` against an allow-list, and the callback's `iss`
  parameter when present (RFC 9207, mix-up defence).

Nothing from a token or a callback is logged except which check failed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from joserfc import jwe, jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, Key, KeySet, RSAKey

from identity import hetu
from identity.keys import client_keys
from identity.models import FailureCode, Level
from identity.providers.base import (
    Handoff,
    IdentificationFailure,
    ProviderError,
    Site,
    VerifiedIdentity,
)
from identity.providers.http import HttpClient, HttpError, get_client

logger = logging.getLogger(__name__)

TEST_ACR = "urn:oid:1.2.246.517.3002.110.999"
# The levels of the reference table (FTN and eIDAS URIs); the same values are SAML class refs.
ACR_LEVELS: dict[str, Level] = {
    "http://ftn.ficora.fi/2017/loa3": Level.HIGH,
    "http://eidas.europa.eu/LoA/high": Level.HIGH,
    "http://ftn.ficora.fi/2017/loa2": Level.SUBSTANTIAL,
    "http://eidas.europa.eu/LoA/substantial": Level.SUBSTANTIAL,
    TEST_ACR: Level.TEST,
}
# Algorithm allow-lists: settings may narrow these, never widen them.
SIGNING_ALGS = ("RS256", "ES256", "PS256")
KEY_ENCRYPTION_ALGS = ("RSA-OAEP", "RSA-OAEP-256")
CONTENT_ENCRYPTION_ALGS = ("A128GCM", "A256GCM")
CANCEL_ERRORS = ("access_denied", "cancel", "user_cancel", "user_cancelled")
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
REQUEST_OBJECT_SECONDS = 300
CLIENT_ASSERTION_SECONDS = 60


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def pkce_challenge(verifier: str) -> str:
    return b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def jose_header(token: str) -> dict[str, Any]:
    """The (unverified) protected header of a compact JWS or JWE; ValueError if malformed."""
    header = json.loads(b64url_decode(token.split(".", 1)[0]))
    if not isinstance(header, dict):
        raise ValueError("header is not an object")
    return header


def _allowed(configured: list[str], supported: tuple[str, ...], name: str) -> tuple[str, ...]:
    unknown = set(configured) - set(supported)
    if unknown:
        raise ImproperlyConfigured(f"{name} may list only {', '.join(supported)}.")
    return tuple(configured)


def accepted_acr_values() -> list[str]:
    """The `acr` values accepted (and requested), from IDENTITY_OIDC_ACR_VALUES; the
    providers' test level only when IDENTITY_ALLOW_TEST_LEVEL."""
    values = list(settings.IDENTITY_OIDC_ACR_VALUES)
    unknown = [v for v in values if v not in ACR_LEVELS]
    if unknown:
        raise ImproperlyConfigured(
            "IDENTITY_OIDC_ACR_VALUES may list only the levels of docs/identity.md."
        )
    if TEST_ACR in values and not settings.IDENTITY_ALLOW_TEST_LEVEL:
        values.remove(TEST_ACR)
    if settings.IDENTITY_ALLOW_TEST_LEVEL and TEST_ACR not in values:
        values.append(TEST_ACR)
    return values


@dataclass(frozen=True)
class Metadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str = ""


class _Failed(Exception):
    def __init__(self, code: FailureCode, reason: str):
        self.failure = IdentificationFailure(code=code, reason=reason)


class OIDCProvider:
    """The relying party. Configuration is read when called (settings may change in tests)."""

    def __init__(self, *, name: str = "oidc", client: HttpClient | None = None):
        self.name = name
        self._client = client

    # --- configuration -------------------------------------------------------
    @property
    def client(self) -> HttpClient:
        return self._client or get_client()

    def issuer(self, site: Site) -> str:
        if settings.IDENTITY_OIDC_ISSUER:
            return settings.IDENTITY_OIDC_ISSUER
        if settings.IDENTITY_STANDIN_ENABLED:
            from identity.standin.server import issuer_for

            return issuer_for(site.origin)
        raise ImproperlyConfigured(
            "IDENTITY_OIDC_ISSUER is not set and the stand-in provider is off."
        )

    def redirect_uri(self, site: Site) -> str:
        return settings.IDENTITY_OIDC_REDIRECT_URI or site.origin + reverse("identity:callback")

    # --- provider metadata ---------------------------------------------------
    def _https_required(self, issuer: str) -> bool:
        return settings.PRODUCTION or urlsplit(issuer).scheme == "https"

    def metadata(self, issuer: str) -> Metadata:
        """Discovery, cached for IDENTITY_OIDC_METADATA_SECONDS. The document's
        `issuer` must be exactly ours (OpenID Connect Discovery 4.3)."""
        key = "identity:oidc:metadata:" + hashlib.sha256(issuer.encode()).hexdigest()
        cached = cache.get(key)
        if cached:
            return Metadata(**cached)
        try:
            response = self.client.get(issuer.rstrip("/") + "/.well-known/openid-configuration")
            document = response.json() if response.status == 200 else None
        except (HttpError, ValueError) as error:
            raise ProviderError(f"discovery failed: {type(error).__name__}") from None
        if not isinstance(document, dict) or document.get("issuer") != issuer:
            raise ProviderError("discovery document missing or for another issuer")
        fields = {}
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            value = document.get(name)
            if not isinstance(value, str) or not value:
                raise ProviderError(f"discovery lacks {name}")
            if self._https_required(issuer) and urlsplit(value).scheme != "https":
                raise ProviderError(f"{name} is not https")
            fields[name] = value
        end_session = document.get("end_session_endpoint")
        metadata = Metadata(
            issuer=issuer,
            end_session_endpoint=end_session if isinstance(end_session, str) else "",
            **fields,
        )
        cache.set(key, metadata.__dict__, settings.IDENTITY_OIDC_METADATA_SECONDS)
        return metadata

    def provider_keys(self, metadata: Metadata, *, refresh: bool = False) -> KeySet:
        """The provider's public keys from its `jwks_uri`, cached. `refresh` fetches
        again (a token named an unknown `kid`: the provider rotated its keys), at
        most once per IDENTITY_OIDC_JWKS_REFRESH_SECONDS."""
        key = "identity:oidc:jwks:" + hashlib.sha256(metadata.jwks_uri.encode()).hexdigest()
        cached = cache.get(key)
        stale = cached is None or (
            refresh
            and time.time() - cached["fetched"] >= settings.IDENTITY_OIDC_JWKS_REFRESH_SECONDS
        )
        if stale:
            try:
                response = self.client.get(metadata.jwks_uri)
                document = response.json() if response.status == 200 else None
            except (HttpError, ValueError):
                document = None
            if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
                if cached is None:
                    raise _Failed(FailureCode.PROVIDER_ERROR, "jwks unavailable")
            else:
                # Public keys only: whatever else a provider publishes is dropped.
                public = [
                    {k: v for k, v in jwk.items() if k not in ("d", "p", "q", "dp", "dq", "qi")}
                    for jwk in document["keys"]
                    if isinstance(jwk, dict)
                ]
                cached = {"keys": public, "fetched": time.time()}
                cache.set(key, cached, settings.IDENTITY_OIDC_METADATA_SECONDS)
        try:
            return KeySet.import_key_set({"keys": cached["keys"]})
        except Exception:
            raise _Failed(FailureCode.PROVIDER_ERROR, "jwks unusable") from None

    # --- start ---------------------------------------------------------------
    def start(self, *, site: Site, language: str) -> Handoff:
        issuer = self.issuer(site)
        metadata = self.metadata(issuer)
        keys = client_keys()
        client_id = settings.IDENTITY_OIDC_CLIENT_ID
        redirect_uri = self.redirect_uri(site)
        state = secrets.token_urlsafe(32)
        nonce = secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)  # 86 characters, within RFC 7636's 43–128
        now = int(time.time())
        claims = {
            "iss": client_id,
            "aud": issuer,
            "client_id": client_id,
            "response_type": "code",
            "redirect_uri": redirect_uri,
            "scope": settings.IDENTITY_OIDC_SCOPE,
            "state": state,
            "nonce": nonce,
            "code_challenge": pkce_challenge(verifier),
            "code_challenge_method": "S256",
            "acr_values": " ".join(accepted_acr_values()),
            "ui_locales": language,
            "iat": now,
            "nbf": now,
            "exp": now + REQUEST_OBJECT_SECONDS,
            "jti": secrets.token_urlsafe(16),
        }
        request_object = jwt.encode(
            {"alg": keys.signing_alg, "kid": keys.signing.kid, "typ": "oauth-authz-req+jwt"},
            claims,
            keys.signing,
            algorithms=[keys.signing_alg],
        )
        query = urlencode(
            {
                "client_id": client_id,
                "response_type": "code",
                "scope": settings.IDENTITY_OIDC_SCOPE,
                "request": request_object,
            }
        )
        endpoint = metadata.authorization_endpoint
        return Handoff(
            redirect_url=f"{endpoint}{'&' if '?' in endpoint else '?'}{query}",
            correlation=state,
            secrets={
                "issuer": issuer,
                "client_id": client_id,
                "redirect_uri": redirect_uri,
                "nonce": nonce,
                "code_verifier": verifier,
            },
        )

    def correlation(self, params: Mapping[str, str]) -> str | None:
        return params.get("state") or None

    # --- finish --------------------------------------------------------------
    def finish(
        self,
        *,
        site: Site,
        params: Mapping[str, str],
        secrets: Mapping[str, Any],
        now: datetime | None = None,
    ) -> VerifiedIdentity | IdentificationFailure:
        moment = (now or datetime.now(UTC)).timestamp()
        try:
            return self._finish(params, secrets, moment)
        except _Failed as failed:
            logger.info(
                "identification refused: %s (%s)", failed.failure.code, failed.failure.reason
            )
            return failed.failure

    def _finish(
        self, params: Mapping[str, str], stored: Mapping[str, Any], now: float
    ) -> VerifiedIdentity:
        issuer = stored.get("issuer", "")
        if not issuer or not stored.get("nonce") or not stored.get("code_verifier"):
            raise _Failed(FailureCode.REPLAYED, "no pending secrets")
        if "error" in params:
            error = str(params.get("error", ""))[:40]
            if error in CANCEL_ERRORS:
                raise _Failed(FailureCode.CANCELLED, f"provider said {error}")
            raise _Failed(FailureCode.PROVIDER_ERROR, f"provider said {error!r}")
        if "iss" in params and params["iss"] != issuer:
            raise _Failed(FailureCode.WRONG_ISSUER, "callback iss")
        code = params.get("code")
        if not code:
            raise _Failed(FailureCode.PROVIDER_ERROR, "no code")
        try:
            metadata = self.metadata(issuer)
        except ProviderError as error:
            raise _Failed(FailureCode.PROVIDER_ERROR, str(error)) from None
        id_token = self._redeem(metadata, stored, code, now)
        return self.validate_id_token(id_token, metadata, stored, now)

    def client_assertion(self, metadata: Metadata, client_id: str, now: float) -> str:
        keys = client_keys()
        audience = (
            metadata.issuer
            if settings.IDENTITY_OIDC_ASSERTION_AUDIENCE == "issuer"
            else metadata.token_endpoint
        )
        moment = int(now)
        return jwt.encode(
            {"alg": keys.signing_alg, "kid": keys.signing.kid, "typ": "JWT"},
            {
                "iss": client_id,
                "sub": client_id,
                "aud": audience,
                "jti": secrets.token_urlsafe(16),
                "iat": moment,
                "exp": moment + CLIENT_ASSERTION_SECONDS,
            },
            keys.signing,
            algorithms=[keys.signing_alg],
        )

    def _redeem(self, metadata: Metadata, stored: Mapping[str, Any], code: str, now: float) -> str:
        client_id = stored["client_id"]
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": stored["redirect_uri"],
            "code_verifier": stored["code_verifier"],
            "client_id": client_id,
            "client_assertion_type": CLIENT_ASSERTION_TYPE,
            "client_assertion": self.client_assertion(metadata, client_id, now),
        }
        try:
            response = self.client.post_form(metadata.token_endpoint, form)
        except HttpError as error:
            raise _Failed(FailureCode.PROVIDER_ERROR, f"token endpoint: {error}") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status != 200 or not isinstance(body, dict):
            said = body.get("error") if isinstance(body, dict) else None
            raise _Failed(
                FailureCode.PROVIDER_ERROR,
                f"token endpoint answered {response.status} {str(said)[:40] if said else ''}".strip(),
            )
        id_token = body.get("id_token")
        if not isinstance(id_token, str) or str(body.get("token_type", "")).lower() != "bearer":
            raise _Failed(FailureCode.PROVIDER_ERROR, "token response without id_token")
        return id_token

    # --- the ID token ----------------------------------------------------------
    def decrypt(self, id_token: str) -> str:
        """The nested JWS inside the JWE the provider encrypted to one of our keys."""
        if id_token.count(".") != 4:
            raise _Failed(FailureCode.INVALID_TOKEN, "id_token not encrypted")
        try:
            header = jose_header(id_token)
        except ValueError:
            raise _Failed(FailureCode.INVALID_TOKEN, "jwe header") from None
        alg, enc = header.get("alg"), header.get("enc")
        allowed_alg = _allowed(
            settings.IDENTITY_OIDC_KEY_ENCRYPTION_ALGS,
            KEY_ENCRYPTION_ALGS,
            "IDENTITY_OIDC_KEY_ENCRYPTION_ALGS",
        )
        allowed_enc = _allowed(
            settings.IDENTITY_OIDC_CONTENT_ENCRYPTION_ALGS,
            CONTENT_ENCRYPTION_ALGS,
            "IDENTITY_OIDC_CONTENT_ENCRYPTION_ALGS",
        )
        if alg not in allowed_alg or enc not in allowed_enc or "zip" in header:
            raise _Failed(FailureCode.INVALID_TOKEN, "jwe algorithm not allowed")
        candidates = [
            key
            for key in client_keys().decryption
            if "kid" not in header or key.kid == header["kid"]
        ]
        if not candidates:
            raise _Failed(FailureCode.INVALID_TOKEN, "jwe for an unknown key")
        for key in candidates:
            try:
                plaintext = jwe.decrypt_compact(id_token, key, algorithms=[alg, enc]).plaintext
            except (JoseError, ValueError):
                continue
            if plaintext:
                return plaintext.decode("utf-8", errors="replace")
        raise _Failed(FailureCode.INVALID_TOKEN, "jwe does not decrypt")

    def _verification_key(self, metadata: Metadata, header: Mapping[str, Any]) -> Key:
        alg, kid = header["alg"], header.get("kid")

        def usable(key: Key) -> bool:
            if key.get("use") not in (None, "sig") or key.get("alg") not in (None, alg):
                return False
            if alg.startswith(("RS", "PS")):
                return isinstance(key, RSAKey) and key.raw_value.key_size >= 2048
            return isinstance(key, ECKey) and key.curve_name == "P-256"

        for refresh in (False, True):
            keys = [k for k in self.provider_keys(metadata, refresh=refresh) if usable(k)]
            if kid is not None:
                keys = [k for k in keys if k.kid == kid]
            if len(keys) == 1:
                return keys[0]
            if len(keys) > 1:
                raise _Failed(FailureCode.BAD_SIGNATURE, "ambiguous key (no kid)")
        raise _Failed(FailureCode.BAD_SIGNATURE, "no provider key for kid")

    def validate_id_token(
        self, id_token: str, metadata: Metadata, stored: Mapping[str, Any], now: float
    ) -> VerifiedIdentity:
        signed = self.decrypt(id_token)
        try:
            header = jose_header(signed)
        except ValueError:
            raise _Failed(FailureCode.INVALID_TOKEN, "jws header") from None
        allowed = _allowed(
            settings.IDENTITY_OIDC_SIGNING_ALGS, SIGNING_ALGS, "IDENTITY_OIDC_SIGNING_ALGS"
        )
        if signed.count(".") != 2 or header.get("alg") not in allowed:
            raise _Failed(FailureCode.BAD_SIGNATURE, "signature algorithm not allowed")
        # jku, x5u, jwk and x5c are deliberately ignored: keys come only from the
        # provider's jwks_uri found by discovery.
        key = self._verification_key(metadata, header)
        try:
            token = jwt.decode(signed, key, algorithms=[header["alg"]])
        except JoseError:
            raise _Failed(FailureCode.BAD_SIGNATURE, "signature does not verify") from None
        except ValueError:
            raise _Failed(FailureCode.INVALID_TOKEN, "payload") from None
        claims = token.claims
        self.check_claims(claims, metadata, stored, now)
        replay_key = "identity:oidc:id-token:" + hashlib.sha256(signed.encode()).hexdigest()
        remaining = int(claims["exp"] - now + settings.IDENTITY_OIDC_CLOCK_SKEW_SECONDS)
        if not cache.add(replay_key, 1, max(remaining, 1)):
            raise _Failed(FailureCode.REPLAYED, "id_token seen before")
        return self.identity(claims)

    def check_claims(
        self, claims: Mapping[str, Any], metadata: Metadata, stored: Mapping[str, Any], now: float
    ) -> None:
        skew = settings.IDENTITY_OIDC_CLOCK_SKEW_SECONDS
        client_id = stored["client_id"]
        if claims.get("iss") != metadata.issuer:
            raise _Failed(FailureCode.WRONG_ISSUER, "iss")
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if client_id not in audiences:
            raise _Failed(FailureCode.WRONG_AUDIENCE, "aud")
        if (len(audiences) > 1 or "azp" in claims) and claims.get("azp") != client_id:
            raise _Failed(FailureCode.WRONG_AUDIENCE, "azp")
        for name in ("exp", "iat"):
            if not isinstance(claims.get(name), int | float) or isinstance(claims.get(name), bool):
                raise _Failed(FailureCode.INVALID_TOKEN, f"{name} missing")
        if now > claims["exp"] + skew:
            raise _Failed(FailureCode.TOKEN_EXPIRED, "exp")
        if claims["iat"] > now + skew:
            raise _Failed(FailureCode.INVALID_TOKEN, "iat in the future")
        nbf = claims.get("nbf")
        if nbf is not None and (not isinstance(nbf, int | float) or nbf > now + skew):
            raise _Failed(FailureCode.INVALID_TOKEN, "nbf")
        nonce = claims.get("nonce")
        if not isinstance(nonce, str) or not secrets.compare_digest(nonce, stored["nonce"]):
            raise _Failed(FailureCode.NONCE_MISMATCH, "nonce")
        if claims.get("acr") not in accepted_acr_values():
            raise _Failed(FailureCode.LEVEL_TOO_LOW, "acr")
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise _Failed(FailureCode.INVALID_TOKEN, "sub")

    def identity(self, claims: Mapping[str, Any]) -> VerifiedIdentity:
        def text(name: str) -> str:
            value = claims.get(name) if name else None
            return value.strip()[:200] if isinstance(value, str) else ""

        code = text(settings.IDENTITY_OIDC_HETU_CLAIM)
        if code and not hetu.is_valid(code):
            raise _Failed(FailureCode.INVALID_TOKEN, "personal identity code not valid")
        birth_date = hetu.birth_date(code) if code else None
        if birth_date is None:
            try:
                birth_date = date.fromisoformat(text("birthdate")) if text("birthdate") else None
            except ValueError:
                raise _Failed(FailureCode.INVALID_TOKEN, "birthdate") from None
        # People without a HETU (eIDAS) are known by the provider's identifier of them.
        subject = text(settings.IDENTITY_OIDC_PERSON_ID_CLAIM) or claims["sub"]
        auth_time = claims.get("auth_time")
        return VerifiedIdentity(
            issuer=claims["iss"],
            subject=subject,
            level=ACR_LEVELS[claims["acr"]],
            acr=claims["acr"],
            given_names=text("given_name"),
            family_name=text("family_name"),
            birth_date=birth_date,
            hetu=code,
            authenticated_at=(
                datetime.fromtimestamp(auth_time, UTC)
                if isinstance(auth_time, int | float) and not isinstance(auth_time, bool)
                else None
            ),
        )

    def logout(self, *, site: Site) -> str | None:
        """The provider's end-session endpoint, if it has one. Identification here
        keeps no session at the provider, so there is nothing else to end."""
        try:
            metadata = self.metadata(self.issuer(site))
        except ProviderError:
            return None
        if not metadata.end_session_endpoint:
            return None
        query = urlencode({"client_id": settings.IDENTITY_OIDC_CLIENT_ID})
        return f"{metadata.end_session_endpoint}?{query}"
