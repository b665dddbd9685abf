"""Single logout (SAML 2.0 HTTP-Redirect binding), which Suomi.fi requires.

- SP-initiated (`begin`): after the local session ended, a signed LogoutRequest
  with the transient NameID and SessionIndex goes to the identity provider; its
  RelayState is an opaque key that finds, server-side, the request's ID and where
  to send the browser afterwards.
- IdP-initiated (`handle` with SAMLRequest): the LogoutRequest's signature is
  checked over the raw query string (SAML bindings 3.4.4.1) with either of the
  identity provider's certificates; the login kept for that NameID is
  forgotten and a signed LogoutResponse goes back.
- The identity provider's LogoutResponse (`handle` with SAMLResponse): signed,
  answering the LogoutRequest we sent (consumed once).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import unquote_plus

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from saml2.saml import NameID
from saml2.samlp import STATUS_SUCCESS

from identity.providers.base import Site
from identity.saml import (
    config,
    parse_instant,  # (silences pysaml2's logging first)
    sessions,
)
from identity.saml import constants as c

logger = logging.getLogger(__name__)

OUTSTANDING_SECONDS = 600
HASHES = {
    c.SIG_RSA_SHA256: hashes.SHA256,
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": hashes.SHA512,
}


class LogoutError(Exception):
    """A logout message we refuse; `reason` names the check (never a value)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _outstanding_key(relay_state: str) -> str:
    return "identity:saml:logout:" + hashlib.sha256(relay_state.encode()).hexdigest()


def _idp_slo(client, idp: str) -> dict[str, str]:
    endpoints = client.metadata.single_logout_service(idp, c.BINDING_HTTP_REDIRECT, "idpsso")
    if not endpoints:
        raise LogoutError("identity provider has no HTTP-Redirect logout endpoint")
    return endpoints[0]


def _location(info: dict) -> str:
    return dict(info["headers"])["Location"]


def begin(*, site: Site, login: dict[str, str], next_path: str) -> str:
    """The address of a signed LogoutRequest for `login` (call after the local
    session ended); the browser comes back to our SLO endpoint, then `next_path`."""
    client = config.sp_client(site)
    idp = login["idp"]
    endpoint = _idp_slo(client, idp)
    request_id, request = client.create_logout_request(
        destination=endpoint["location"],
        issuer_entity_id=idp,
        name_id=NameID(
            text=login["name_id"],
            format=login.get("name_id_format") or c.NAMEID_FORMAT_TRANSIENT,
            name_qualifier=login.get("name_qualifier") or None,
            sp_name_qualifier=login.get("sp_name_qualifier") or None,
        ),
        session_indexes=[login["session_index"]] if login.get("session_index") else None,
        expire=None,
        sign=False,
    )
    relay_state = secrets.token_urlsafe(32)
    cache.set(
        _outstanding_key(relay_state),
        {"request_id": request_id, "idp": idp, "next": next_path},
        OUTSTANDING_SECONDS,
    )
    info = client.apply_binding(
        c.BINDING_HTTP_REDIRECT,
        str(request),
        endpoint["location"],
        relay_state,
        sign=True,
        sigalg=c.SIG_RSA_SHA256,
    )
    return _location(info)


def verify_redirect_signature(query_string: str, kind: str, certs: list[str]) -> bool:
    """The signature of an HTTP-Redirect message over its query string exactly as
    it arrived (re-encoding the values could change the signed bytes)."""
    values: dict[str, str] = {}
    for piece in query_string.split("&"):
        name, _, value = piece.partition("=")
        if name in values:
            return False  # a parameter twice is ambiguous
        values[name] = value
    if kind not in values or "SigAlg" not in values or "Signature" not in values:
        return False
    algorithm = HASHES.get(unquote_plus(values["SigAlg"]))
    if algorithm is None:
        return False
    signed = "&".join(
        f"{name}={values[name]}" for name in (kind, "RelayState", "SigAlg") if name in values
    ).encode("ascii", errors="replace")
    try:
        signature = base64.b64decode(unquote_plus(values["Signature"]), validate=True)
    except (binascii.Error, ValueError):
        return False
    for cert in certs:
        try:
            public_key = x509.load_der_x509_certificate(
                base64.b64decode("".join(cert.split()))
            ).public_key()
        except (binascii.Error, ValueError):
            continue
        if not isinstance(public_key, rsa.RSAPublicKey):
            continue
        try:
            public_key.verify(signature, signed, padding.PKCS1v15(), algorithm())
        except InvalidSignature:
            continue
        return True
    return False


@dataclass(frozen=True)
class Outcome:
    # Where to send the browser (the identity provider, or a page of ours).
    redirect_url: str = ""
    # The identity provider answered our LogoutRequest: show "logged out".
    completed: bool = False
    next_path: str = ""


def _check_time(message, now: datetime) -> None:
    skew = timedelta(seconds=settings.IDENTITY_SAML_CLOCK_SKEW_SECONDS)
    try:
        issued = parse_instant(message.issue_instant)
    except ValueError:
        raise LogoutError("IssueInstant") from None
    if issued > now + skew or issued < now - timedelta(minutes=5) - skew:
        raise LogoutError("IssueInstant outside the window")
    ends = getattr(message, "not_on_or_after", None)
    if ends:
        try:
            ending = parse_instant(ends)
        except ValueError:
            raise LogoutError("NotOnOrAfter malformed") from None
        if now >= ending + skew:
            raise LogoutError("NotOnOrAfter")


def handle(
    *, site: Site, query_string: str, params: dict[str, str], now: datetime | None = None
) -> Outcome:
    """A message from the identity provider at our SLO endpoint. Raises
    LogoutError for anything refused."""
    now = now or timezone.now()
    client = config.sp_client(site)
    idp = config.idp_entity_id(client)
    sp = config.service_provider(site)
    certs = config.idp_signing_certs(client, idp)
    kind = "SAMLRequest" if "SAMLRequest" in params else "SAMLResponse"
    if kind not in params:
        raise LogoutError("no SAML message")
    if not verify_redirect_signature(query_string, kind, certs):
        raise LogoutError("signature")
    relay_state = params.get("RelayState", "")
    try:
        if kind == "SAMLRequest":
            parsed = client.parse_logout_request(params[kind], c.BINDING_HTTP_REDIRECT)
        else:
            parsed = client.parse_logout_request_response(params[kind], c.BINDING_HTTP_REDIRECT)
    except Exception as error:
        raise LogoutError(f"pysaml2 {type(error).__name__}") from None
    message = getattr(parsed, "message", None) or getattr(parsed, "response", None)
    if message is None:
        raise LogoutError("not parsed")
    if message.issuer is None or message.issuer.text != idp:
        raise LogoutError("issuer")
    if message.destination != sp.slo_url:
        raise LogoutError("destination")
    _check_time(message, now)

    if kind == "SAMLResponse":
        outstanding = cache.get(_outstanding_key(relay_state)) if relay_state else None
        cache.delete(_outstanding_key(relay_state))
        if not isinstance(outstanding, dict) or not message.in_response_to:
            raise LogoutError("unsolicited logout response")
        if not secrets.compare_digest(
            message.in_response_to.encode(), outstanding["request_id"].encode()
        ):
            raise LogoutError("InResponseTo")
        success = message.status.status_code.value == STATUS_SUCCESS
        if not success:
            logger.info("SAML logout: the identity provider reported a partial logout")
        return Outcome(completed=True, next_path=outstanding["next"])

    name_id = message.name_id.text if message.name_id is not None else ""
    if not name_id:
        raise LogoutError("no NameID")
    indexes = [index.text for index in message.session_index or [] if index.text]
    found = sessions.end_by_name_id(idp=idp, name_id=name_id, session_indexes=indexes)
    logger.info(
        "SAML logout requested by the identity provider (session %s)",
        "found" if found else "unknown",
    )
    # Success even for an unknown session: nothing of it is left here.
    endpoint = _idp_slo(client, idp)
    response = client.create_logout_response(
        message, bindings=[c.BINDING_HTTP_REDIRECT], sign=False
    )
    info = client.apply_binding(
        c.BINDING_HTTP_REDIRECT,
        str(response),
        endpoint.get("response_location") or endpoint["location"],
        relay_state,
        response=True,
        sign=True,
        sigalg=c.SIG_RSA_SHA256,
    )
    return Outcome(redirect_url=_location(info))


def after_local_end(request, login: dict[str, str] | None, *, next_path: str) -> str | None:
    """Where to send a resident whose local session has just ended (end and
    clear): the identity provider's logout, when there was a Suomi.fi login and
    the page is a top-level one. In a frame (the chat widget) the identity
    provider would refuse to show its page, so nothing is sent; its session then
    ends when the browser closes or times out."""
    if login is None:
        return None
    if request.headers.get("Sec-Fetch-Dest", "document") not in ("document", ""):
        logger.info("SAML logout after end: skipped in a frame")
        return None
    site = Site(origin=f"{request.scheme}://{request.get_host()}")
    try:
        return begin(site=site, login=login, next_path=next_path)
    except Exception as error:  # the local logout already happened; never fail it
        logger.info("SAML logout after end: not started (%s)", type(error).__name__)
        return None
