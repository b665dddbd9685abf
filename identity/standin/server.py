"""A stand-in OpenID provider for development and tests, strict like a Finnish
Trust Network provider: it refuses what such a provider refuses.

- Authorization: only a signed request object (`request=`, RFC 9101) from the one
  registered client, verified with the client's statically registered keys
  (our published JWKS); `iss`, `aud`, `exp`, `iat`, `nbf`, `client_id`,
  `redirect_uri` (exact match), `response_type=code`, `scope` with `openid`,
  `state`, `nonce` and PKCE S256 are required; the query's `client_id`,
  `response_type` and `scope` must match the object; `request_uri` is refused.
- Token: `private_key_jwt` only (RFC 7523: signed by a registered key, `iss` =
  `sub` = client, `aud` the issuer or the token endpoint, a fresh `jti`, short
  `exp`), the code once, the same `redirect_uri`, and the PKCE verifier.
- ID tokens are signed (RS256, or ES256 by IDENTITY_STANDIN_SIGNING_ALG) and
  encrypted to the client's encryption key (RSA-OAEP-256, A256GCM).

State lives in the cache: authorization transactions, codes and used `jti`s.
Only the person's key is kept there, never their identity code.

The views (identity.standin.views) and the in-process router for development
(identity.providers.http.StandinRouter) both call these functions.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from joserfc import jwe, jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, Key, KeySet, RSAKey

from identity.keys import client_keys, signing_alg, standin_keys
from identity.providers.http import HttpResponse
from identity.providers.oidc import (
    ACR_LEVELS,
    CLIENT_ASSERTION_TYPE,
    TEST_ACR,
    b64url,
    b64url_decode,
    jose_header,
    pkce_challenge,
)
from identity.standin.persons import BY_KEY, Person

SIGNING_ALGS = ("RS256", "PS256", "ES256")
SKEW = 30
MAX_REQUEST_OBJECT_SECONDS = 3600
MAX_ASSERTION_SECONDS = 300
TRANSACTION_SECONDS = 600
CODE_SECONDS = 60
ID_TOKEN_SECONDS = 300
VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
CHALLENGE = re.compile(r"^[A-Za-z0-9\-_]{43}$")

# The identification methods offered, each with the level it gives.
METHODS = {
    "testbank": "http://ftn.ficora.fi/2017/loa2",
    "mobile": "http://ftn.ficora.fi/2017/loa3",
    "eidas": "http://eidas.europa.eu/LoA/substantial",
}


class AuthorizationError(Exception):
    """A refused authorization request. With `redirect_uri` (verified as the
    client's) the error goes back to the client; without it, the user sees it."""

    def __init__(self, error: str, description: str, *, redirect_uri: str = "", state: str = ""):
        super().__init__(description)
        self.error = error
        self.description = description
        self.redirect_uri = redirect_uri
        self.state = state


@dataclass(frozen=True)
class AuthorizationRequest:
    client_id: str
    redirect_uri: str
    state: str
    nonce: str
    code_challenge: str
    acr_values: list[str] = field(default_factory=list)
    ui_locale: str = ""


# --- addresses ----------------------------------------------------------------
def base_path() -> str:
    """`/identify/standin`: the path every stand-in endpoint lives under."""
    return reverse("identity:standin-jwks").rsplit("/", 1)[0]


def issuer_for(origin: str) -> str:
    return origin.rstrip("/") + base_path()


def handles(url: str) -> bool:
    return settings.IDENTITY_STANDIN_ENABLED and urlsplit(url).path.startswith(base_path() + "/")


def endpoints(issuer: str) -> dict[str, str]:
    return {
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "jwks_uri": f"{issuer}/jwks",
    }


def discovery(issuer: str) -> dict[str, Any]:
    return {
        "issuer": issuer,
        **endpoints(issuer),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["pairwise"],
        "scopes_supported": ["openid", "profile"],
        "claims_supported": [
            "sub",
            "acr",
            "auth_time",
            "given_name",
            "family_name",
            "name",
            "birthdate",
        ],
        "acr_values_supported": [*METHODS.values(), TEST_ACR],
        "ui_locales_supported": ["sv", "fi", "en"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        "id_token_encryption_alg_values_supported": ["RSA-OAEP", "RSA-OAEP-256"],
        "id_token_encryption_enc_values_supported": ["A128GCM", "A256GCM"],
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": list(SIGNING_ALGS),
        "request_parameter_supported": True,
        "request_uri_parameter_supported": False,
        "request_object_signing_alg_values_supported": list(SIGNING_ALGS),
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": True,
    }


def jwks() -> dict[str, Any]:
    return standin_keys().as_dict(private=False)  # type: ignore[return-value]


# --- the registered client ------------------------------------------------------
@dataclass(frozen=True)
class Client:
    client_id: str
    redirect_uris: frozenset[str]
    keys: KeySet


def registered_client(client_id: object, issuer: str) -> Client | None:
    """The one client registered with the stand-in: this service, with its
    published keys registered statically (as the FTN profile has it)."""
    if not isinstance(client_id, str) or client_id != settings.IDENTITY_OIDC_CLIENT_ID:
        return None
    parts = urlsplit(issuer)
    uris = {f"{parts.scheme}://{parts.netloc}{reverse('identity:callback')}"}
    if settings.IDENTITY_OIDC_REDIRECT_URI:
        uris.add(settings.IDENTITY_OIDC_REDIRECT_URI)
    return Client(
        client_id=client_id,
        redirect_uris=frozenset(uris),
        keys=KeySet.import_key_set(client_keys().public_jwks),  # type: ignore[arg-type]
    )


def _verify_client_jwt(token: object, client: Client, *, typ: str | None = None) -> dict[str, Any]:
    """Claims of a JWT signed by one of the client's signing keys (by `kid`), or ValueError."""
    if not isinstance(token, str) or token.count(".") != 2:
        raise ValueError("not a signed JWT")
    header = jose_header(token)
    alg, kid = header.get("alg"), header.get("kid")
    if alg not in SIGNING_ALGS or not isinstance(kid, str):
        raise ValueError("algorithm not allowed or no kid")
    if typ and header.get("typ") not in (None, typ, "JWT"):
        raise ValueError("wrong typ")
    matching = [k for k in client.keys if k.kid == kid and k.get("use") in (None, "sig")]
    if len(matching) != 1:
        raise ValueError("unknown kid")
    key: Key = matching[0]
    if not (
        (alg.startswith(("RS", "PS")) and isinstance(key, RSAKey))
        or (alg == "ES256" and isinstance(key, ECKey))
    ):
        raise ValueError("key does not fit the algorithm")
    try:
        return dict(jwt.decode(token, key, algorithms=[alg]).claims)
    except JoseError:
        raise ValueError("bad signature") from None


def _number(claims: Mapping[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


# --- authorize ------------------------------------------------------------------
def verify_authorization_request(issuer: str, query: Mapping[str, str]) -> AuthorizationRequest:
    """The validated request, or AuthorizationError."""
    client = registered_client(query.get("client_id"), issuer)
    if client is None:
        raise AuthorizationError("unauthorized_client", "unknown client")
    if "request_uri" in query:
        raise AuthorizationError("request_uri_not_supported", "request_uri is not supported")
    try:
        claims = _verify_client_jwt(query.get("request"), client, typ="oauth-authz-req+jwt")
    except ValueError as error:
        raise AuthorizationError("invalid_request_object", str(error)) from None
    now = time.time()
    exp, iat, nbf = _number(claims, "exp"), _number(claims, "iat"), _number(claims, "nbf")
    checks = [
        (claims.get("iss") == client.client_id, "iss"),
        (claims.get("aud") == issuer or claims.get("aud") == [issuer], "aud"),
        (claims.get("client_id") == client.client_id, "client_id"),
        (exp is not None and now <= exp + SKEW, "exp"),
        (iat is not None and iat <= now + SKEW, "iat"),
        (
            exp is not None and iat is not None and exp - iat <= MAX_REQUEST_OBJECT_SECONDS,
            "lifetime",
        ),
        ("nbf" not in claims or (nbf is not None and nbf <= now + SKEW), "nbf"),
    ]
    for ok, name in checks:
        if not ok:
            raise AuthorizationError("invalid_request_object", f"request object {name}")
    redirect_uri = claims.get("redirect_uri")
    if redirect_uri not in client.redirect_uris:
        raise AuthorizationError("invalid_request", "redirect_uri is not registered")
    state = claims.get("state")

    def refuse(error: str, description: str) -> AuthorizationError:
        return AuthorizationError(
            error,
            description,
            redirect_uri=str(redirect_uri),
            state=state if isinstance(state, str) else "",
        )

    if claims.get("response_type") != "code" or query.get("response_type") != "code":
        raise refuse("unsupported_response_type", "response_type must be code")
    scope = claims.get("scope")
    if not isinstance(scope, str) or "openid" not in scope.split() or query.get("scope") != scope:
        raise refuse("invalid_scope", "scope must include openid and match the request object")
    for name in ("state", "nonce"):
        if not isinstance(claims.get(name), str) or not claims[name]:
            raise refuse("invalid_request", f"{name} is required")
    challenge = claims.get("code_challenge")
    if claims.get("code_challenge_method") != "S256" or not (
        isinstance(challenge, str) and CHALLENGE.match(challenge)
    ):
        raise refuse("invalid_request", "PKCE with S256 is required")
    acr_values = claims.get("acr_values", "")
    acrs = acr_values.split() if isinstance(acr_values, str) else []
    if not isinstance(acr_values, str) or any(acr not in ACR_LEVELS for acr in acrs):
        raise refuse("invalid_request", "unsupported acr_values")
    locales = claims.get("ui_locales", "")
    locale = next(
        (
            lang
            for lang in (locales.split() if isinstance(locales, str) else [])
            if lang in ("sv", "fi", "en")
        ),
        "",
    )
    return AuthorizationRequest(
        client_id=client.client_id,
        redirect_uri=str(redirect_uri),
        state=claims["state"],
        nonce=claims["nonce"],
        code_challenge=challenge,
        acr_values=acrs,
        ui_locale=locale,
    )


def methods_for(request: AuthorizationRequest) -> list[str]:
    """The methods whose level the client asked for (all when it named none)."""
    return [m for m, acr in METHODS.items() if not request.acr_values or acr in request.acr_values]


def open_transaction(request: AuthorizationRequest) -> str:
    transaction_id = secrets.token_urlsafe(24)
    cache.set(f"standin:tx:{transaction_id}", asdict(request), TRANSACTION_SECONDS)
    return transaction_id


def peek_transaction(transaction_id: str) -> AuthorizationRequest | None:
    data = cache.get(f"standin:tx:{transaction_id}") if transaction_id else None
    return AuthorizationRequest(**data) if data else None


def take_transaction(transaction_id: str) -> AuthorizationRequest | None:
    """The pending authorization, once: a second submission finds nothing."""
    request = peek_transaction(transaction_id)
    if request is not None:
        cache.delete(f"standin:tx:{transaction_id}")
    return request


def _response_url(request: AuthorizationRequest, issuer: str, params: dict[str, str]) -> str:
    query = urlencode({**params, "state": request.state, "iss": issuer})
    separator = "&" if "?" in request.redirect_uri else "?"
    return f"{request.redirect_uri}{separator}{query}"


def error_redirect(error: AuthorizationError, issuer: str) -> str:
    params = {"error": error.error, "error_description": error.description, "iss": issuer}
    if error.state:
        params["state"] = error.state
    separator = "&" if "?" in error.redirect_uri else "?"
    return f"{error.redirect_uri}{separator}{urlencode(params)}"


def cancel(request: AuthorizationRequest, issuer: str) -> str:
    return _response_url(
        request, issuer, {"error": "access_denied", "error_description": "cancelled by the user"}
    )


def issue_code(request: AuthorizationRequest, issuer: str, *, person: Person, method: str) -> str:
    """Redirect back to the client with a one-time code for this person."""
    code = secrets.token_urlsafe(32)
    cache.set(
        f"standin:code:{_digest(code)}",
        {
            "request": asdict(request),
            "issuer": issuer,
            "person": person.key,
            "acr": METHODS[method],
            "auth_time": int(time.time()),
        },
        CODE_SECONDS,
    )
    return _response_url(request, issuer, {"code": code})


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# --- token ----------------------------------------------------------------------
def _token_error(status: int, error: str, description: str) -> tuple[int, dict[str, Any]]:
    return status, {"error": error, "error_description": description}


def authenticate_client(issuer: str, form: Mapping[str, str]) -> Client | None:
    """private_key_jwt (RFC 7523 2.2, OpenID Connect Core 9), or None."""
    if form.get("client_assertion_type") != CLIENT_ASSERTION_TYPE:
        return None
    assertion = form.get("client_assertion", "")
    try:
        # Unverified, only to find whose keys verify it.
        payload = json.loads(b64url_decode(assertion.split(".")[1]))
    except (ValueError, IndexError):
        return None
    client = registered_client(payload.get("iss") if isinstance(payload, dict) else None, issuer)
    if client is None:
        return None
    try:
        claims = _verify_client_jwt(assertion, client)
    except ValueError:
        return None
    now = time.time()
    exp, iat = _number(claims, "exp"), _number(claims, "iat")
    jti = claims.get("jti")
    if not (
        claims.get("iss") == client.client_id
        and claims.get("sub") == client.client_id
        and claims.get("aud") in (issuer, endpoints(issuer)["token_endpoint"])
        and exp is not None
        and now <= exp + SKEW
        and exp - now <= MAX_ASSERTION_SECONDS
        and (iat is None or iat <= now + SKEW)
        and isinstance(jti, str)
        and jti
        and form.get("client_id", client.client_id) == client.client_id
    ):
        return None
    # Each assertion once (a replayed assertion is refused until it has expired).
    if not cache.add(f"standin:jti:{_digest(jti)}", 1, int(exp - now) + SKEW + 1):
        return None
    return client


def token(issuer: str, form: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
    client = authenticate_client(issuer, form)
    if client is None:
        return _token_error(401, "invalid_client", "private_key_jwt client authentication failed")
    if form.get("grant_type") != "authorization_code":
        return _token_error(400, "unsupported_grant_type", "only authorization_code")
    code = form.get("code", "")
    key = f"standin:code:{_digest(code)}"
    grant = cache.get(key) if code else None
    # A code works once: the first redemption marks it used.
    if grant is None or not cache.add(f"standin:code-used:{_digest(code)}", 1, CODE_SECONDS * 2):
        return _token_error(400, "invalid_grant", "unknown, expired or used code")
    cache.delete(key)
    request = AuthorizationRequest(**grant["request"])
    verifier = form.get("code_verifier", "")
    if (
        grant["issuer"] != issuer
        or request.client_id != client.client_id
        or form.get("redirect_uri") != request.redirect_uri
    ):
        return _token_error(400, "invalid_grant", "code issued for another client or redirect_uri")
    if not VERIFIER.match(verifier) or not hmac.compare_digest(
        pkce_challenge(verifier), request.code_challenge
    ):
        return _token_error(400, "invalid_grant", "PKCE verification failed")
    person = BY_KEY[grant["person"]]
    claims = id_token_claims(
        issuer, client, request, person=person, acr=grant["acr"], auth_time=grant["auth_time"]
    )
    return 200, {
        "access_token": secrets.token_urlsafe(32),
        "token_type": "Bearer",
        "expires_in": ID_TOKEN_SECONDS,
        "id_token": seal(claims, client),
    }


def pairwise_subject(client_id: str, person: Person) -> str:
    secret = hashlib.sha256(f"standin-subject:{settings.SECRET_KEY}".encode()).digest()
    return b64url(hmac.new(secret, f"{client_id}:{person.key}".encode(), hashlib.sha256).digest())


def id_token_claims(
    issuer: str,
    client: Client,
    request: AuthorizationRequest,
    *,
    person: Person,
    acr: str,
    auth_time: int,
) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": pairwise_subject(client.client_id, person),
        "aud": client.client_id,
        "iat": now,
        "nbf": now,
        "exp": now + ID_TOKEN_SECONDS,
        "auth_time": auth_time,
        "nonce": request.nonce,
        "acr": acr,
        "given_name": person.given_names,
        "family_name": person.family_name,
        "name": person.name,
    }
    if person.hetu:
        claims[settings.IDENTITY_OIDC_HETU_CLAIM] = person.hetu
    if person.birth_date:
        claims["birthdate"] = person.birth_date.isoformat()
    if person.eidas_id and settings.IDENTITY_OIDC_PERSON_ID_CLAIM:
        claims[settings.IDENTITY_OIDC_PERSON_ID_CLAIM] = person.eidas_id
    return claims


def signing_key(alg: str | None = None) -> Key:
    alg = alg or settings.IDENTITY_STANDIN_SIGNING_ALG
    for key in standin_keys():
        if signing_alg(key) == alg:
            return key
    raise LookupError(f"no stand-in key for {alg}")


def sign(claims: Mapping[str, Any], key: Key | None = None) -> str:
    key = key or signing_key()
    alg = signing_alg(key)
    return jwt.encode(
        {"alg": alg, "kid": key.kid, "typ": "JWT"}, dict(claims), key, algorithms=[alg]
    )


def encrypt_to_client(signed: str, client_jwks: Mapping[str, Any] | KeySet) -> str:
    """A nested JWT: `signed` encrypted to the client's first encryption key."""
    key_set = client_jwks if isinstance(client_jwks, KeySet) else KeySet.import_key_set(client_jwks)  # type: ignore[arg-type]
    key = next(k for k in key_set if k.get("use") == "enc")
    return jwe.encrypt_compact(
        {"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": key.kid, "cty": "JWT"},
        signed,
        key,
        algorithms=["RSA-OAEP-256", "A256GCM"],
    )


def seal(claims: Mapping[str, Any], client: Client) -> str:
    return encrypt_to_client(sign(claims), client.keys)


# --- in-process dispatch (development) -------------------------------------------
def dispatch(method: str, url: str, form: Mapping[str, str]) -> HttpResponse:
    """Serve a back-channel request to the stand-in without going over the network."""
    parts = urlsplit(url)
    base = base_path()
    issuer = f"{parts.scheme}://{parts.netloc}{base}"
    route = parts.path[len(base) :]
    if method == "GET" and route == "/.well-known/openid-configuration":
        return _json(200, discovery(issuer))
    if method == "GET" and route == "/jwks":
        return _json(200, jwks())
    if method == "POST" and route == "/token":
        return _json(*token(issuer, form))
    return _json(404, {"error": "not_found"})


def _json(status: int, body: Mapping[str, Any]) -> HttpResponse:
    return HttpResponse(
        status=status, body=json.dumps(body).encode(), content_type="application/json"
    )
