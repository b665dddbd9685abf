"""Suomi.fi e-Identification over SAML 2.0 (Web Browser SSO): this service as a
service provider, behind the provider interface (identity.providers.base).

- The AuthnRequest goes by HTTP-Redirect, signed (RSA-SHA256 over the query,
  SHA-256 digests), NameID format transient, `RequestedAuthnContext`
  Comparison="exact" with the accepted levels, and Suomi.fi's language
  extension (`<vetuma><LG>`) in the resident's language.
- `RelayState` is an opaque random key (its digest finds the pending request);
  never a URL. The AuthnRequest's ID is kept server-side with the request and
  consumed once: a response must answer exactly it (`InResponseTo`), so
  unsolicited responses and responses to other requests are refused.
- The Response comes by HTTP-POST to our ACS (via identity.views.saml_acs). The
  Response and the Assertion must be signed by the identity provider (either of
  the certificates in its metadata: rotation), the Assertion encrypted to our
  key. pysaml2 (with xmlsec1) verifies the signatures and decrypts; then every
  condition is checked again here against `now`: issuer, Destination,
  Audience, Recipient, InResponseTo, NotBefore/NotOnOrAfter of the Conditions
  and of the SubjectConfirmationData (with IDENTITY_SAML_CLOCK_SKEW_SECONDS),
  the level of assurance, and a replay cache of assertion IDs.
- Attributes: only the identity code, names, eIDAS names, date of birth and
  person identifier are read. Addresses, mail and the address-information ban
  are neither requested nor stored.

Nothing of a message is logged; failures carry only the name of the check.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import secrets
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from defusedxml import ElementTree
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from saml2 import ExtensionElement, samlp
from saml2.response import (
    IncorrectlySigned,
    StatusAuthnFailed,
    StatusError,
    UnsolicitedResponse,
)
from saml2.saml import AuthnContextClassRef
from saml2.samlp import RequestedAuthnContext
from saml2.sigver import MissingKey, SignatureError, SigverError

from identity import hetu
from identity.models import FailureCode
from identity.providers.base import (
    Handoff,
    IdentificationFailure,
    ProviderError,
    Site,
    VerifiedIdentity,
)
from identity.providers.oidc import ACR_LEVELS
from identity.saml import (
    config,
    parse_instant,  # (silences pysaml2's logging first)
    sessions,
)
from identity.saml import constants as c

logger = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 256 * 1024
SAMLP_NS = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML_NS = "urn:oasis:names:tc:SAML:2.0:assertion"


# pysaml2's wording of the checks it makes first (saml2/response.py).
PYSAML2_FAILURES = (
    ("AudienceRestrictions", FailureCode.WRONG_AUDIENCE),
    ("No valid recipient", FailureCode.WRONG_AUDIENCE),
    ("Condition not OK", FailureCode.TOKEN_EXPIRED),
    ("No valid subject confirmation", FailureCode.TOKEN_EXPIRED),
)


class _Failed(Exception):
    def __init__(self, code: FailureCode, reason: str):
        self.failure = IdentificationFailure(code=code, reason=reason)


def _instant(value: str | None, what: str) -> datetime:
    if not value:
        raise _Failed(FailureCode.INVALID_TOKEN, f"{what} missing")
    try:
        return parse_instant(value)
    except ValueError:
        raise _Failed(FailureCode.INVALID_TOKEN, f"{what} malformed") from None


def decode_message(value: str) -> bytes:
    if len(value) > MAX_MESSAGE_BYTES * 4 // 3 + 4:
        raise _Failed(FailureCode.INVALID_TOKEN, "message too large")
    try:
        return base64.b64decode(value, validate=False)
    except (binascii.Error, ValueError):
        raise _Failed(FailureCode.INVALID_TOKEN, "not base64") from None


def check_structure(xml: bytes) -> None:
    """Before pysaml2 sees it: one Response, whose Assertions are all encrypted
    (a plain Assertion beside or instead of the encrypted one is refused)."""
    try:
        root = ElementTree.fromstring(xml, forbid_dtd=True)
    except Exception:
        raise _Failed(FailureCode.INVALID_TOKEN, "not well-formed") from None
    if root.tag != f"{{{SAMLP_NS}}}Response":
        raise _Failed(FailureCode.INVALID_TOKEN, "not a Response")
    status = root.find(f"{{{SAMLP_NS}}}Status/{{{SAMLP_NS}}}StatusCode")
    success = status is not None and status.get("Value") == c.STATUS_SUCCESS
    if not success:
        return
    if root.findall(f".//{{{SAML_NS}}}Assertion"):
        raise _Failed(FailureCode.INVALID_TOKEN, "assertion not encrypted")
    if len(root.findall(f"{{{SAML_NS}}}EncryptedAssertion")) != 1:
        raise _Failed(FailureCode.INVALID_TOKEN, "not exactly one encrypted assertion")


def _attributes(assertion: Any) -> dict[str, str]:
    """The first value of each attribute we read, by URI; the rest ignored."""
    found: dict[str, str] = {}
    for statement in assertion.attribute_statement or []:
        for attribute in statement.attribute or []:
            if attribute.name in c.READ_ATTRIBUTES and attribute.name not in found:
                values = [v.text for v in attribute.attribute_value or [] if v.text]
                if values:
                    found[attribute.name] = values[0].strip()[:200]
    return found


def identity_from(attributes: Mapping[str, str], *, issuer: str, acr: str) -> VerifiedIdentity:
    """The verified person from Suomi.fi's attributes (the same shape as OIDC's)."""
    code = attributes.get(c.HETU, "")
    if code and not hetu.is_valid(code):
        raise _Failed(FailureCode.INVALID_TOKEN, "personal identity code not valid")
    family_name = attributes.get(c.SURNAME) or attributes.get(c.EIDAS_FAMILY_NAME, "")
    given_names = attributes.get(c.FIRST_NAMES, "")
    common = attributes.get(c.CN, "")
    if not given_names and family_name and common.startswith(family_name + " "):
        # cn is "Surname Firstname Middlenames": all the first names.
        given_names = common[len(family_name) + 1 :].strip()
    given_names = given_names or attributes.get(c.GIVEN_NAME, "")
    birth_date = hetu.birth_date(code) if code else None
    if birth_date is None and attributes.get(c.EIDAS_DATE_OF_BIRTH):
        try:
            birth_date = date.fromisoformat(attributes[c.EIDAS_DATE_OF_BIRTH])
        except ValueError:
            raise _Failed(FailureCode.INVALID_TOKEN, "date of birth") from None
    # A stable identifier: the eIDAS PersonIdentifier, else the identity code
    # (the transient NameID changes at every identification).
    subject = attributes.get(c.EIDAS_PERSON_ID) or code
    if not subject:
        raise _Failed(FailureCode.INVALID_TOKEN, "no identifier of the person")
    return VerifiedIdentity(
        issuer=issuer,
        subject=subject,
        level=ACR_LEVELS[acr],
        acr=acr,
        given_names=given_names,
        family_name=family_name,
        birth_date=birth_date,
        hetu=code,
    )


class SAMLProvider:
    """The service provider. Configuration is read when called."""

    def __init__(self, *, name: str = "saml"):
        self.name = name

    # --- 1. the AuthnRequest ---------------------------------------------------------
    def start(self, *, site: Site, language: str) -> Handoff:
        try:
            client = config.sp_client(site)
            idp = config.idp_entity_id(client)
        except ProviderError:
            raise
        sp = config.service_provider(site)
        relay_state = secrets.token_urlsafe(32)
        language_extension = samlp.Extensions(
            extension_elements=[
                ExtensionElement(
                    "vetuma",
                    namespace=c.VETUMA_NS,
                    children=[ExtensionElement("LG", namespace=c.VETUMA_NS, text=language or "fi")],
                )
            ]
        )
        request_id, info = client.prepare_for_authenticate(
            entityid=idp,
            relay_state=relay_state,
            binding=c.BINDING_HTTP_REDIRECT,
            nameid_format=c.NAMEID_FORMAT_TRANSIENT,
            extensions=language_extension,
            sign=True,
            sigalg=c.SIG_RSA_SHA256,
            digest_alg=c.DIGEST_SHA256,
            requested_authn_context=RequestedAuthnContext(
                authn_context_class_ref=[
                    AuthnContextClassRef(text=level) for level in config.accepted_levels()
                ],
                comparison="exact",
            ),
        )
        location = dict(info["headers"])["Location"]
        return Handoff(
            redirect_url=location,
            correlation=relay_state,
            secrets={
                "saml_request_id": request_id,
                "idp": idp,
                "entity_id": sp.entity_id,
                "acs": sp.acs_url,
            },
        )

    def correlation(self, params: Mapping[str, str]) -> str | None:
        return params.get("RelayState") or None

    # --- 2. the Response ---------------------------------------------------------------
    def finish(
        self,
        *,
        site: Site,
        params: Mapping[str, str],
        secrets: Mapping[str, Any],
        now: datetime | None = None,
    ) -> VerifiedIdentity | IdentificationFailure:
        now = now or timezone.now()
        try:
            identity, login = self._validate(site, params, secrets, now)
        except _Failed as failed:
            logger.info("SAML response refused: %s", failed.failure.reason)
            return failed.failure
        except ProviderError as error:
            logger.info("SAML response refused: %s", error)
            return IdentificationFailure(FailureCode.PROVIDER_ERROR, "provider")
        # Kept for single logout: the view moves it into the resident's session.
        sessions.stash_login(params.get("RelayState", ""), login)
        return identity

    def _parse(self, client: Any, message: str, request_id: str) -> Any:
        try:
            response = client.parse_authn_request_response(
                message, c.BINDING_HTTP_POST, outstanding={request_id: "identify"}
            )
        except StatusAuthnFailed:
            raise _Failed(FailureCode.CANCELLED, "status AuthnFailed") from None
        except StatusError:
            raise _Failed(FailureCode.PROVIDER_ERROR, "status not success") from None
        except UnsolicitedResponse:
            raise _Failed(
                FailureCode.STATE_MISMATCH, "unsolicited or unknown InResponseTo"
            ) from None
        except (SignatureError, SigverError, MissingKey, IncorrectlySigned):
            raise _Failed(FailureCode.BAD_SIGNATURE, "signature") from None
        except Exception as error:
            # pysaml2 raises plain exceptions for several checks, told apart by
            # its own fixed wording; the text itself is never logged (some of
            # pysaml2's messages quote the message).
            text = str(error)
            for marker, code in PYSAML2_FAILURES:
                if marker in text:
                    raise _Failed(code, f"pysaml2: {marker}") from None
            raise _Failed(FailureCode.INVALID_TOKEN, f"pysaml2 {type(error).__name__}") from None
        if response is None:
            raise _Failed(FailureCode.INVALID_TOKEN, "no response")
        return response

    def _validate(
        self, site: Site, params: Mapping[str, str], stored: Mapping[str, Any], now: datetime
    ) -> tuple[VerifiedIdentity, dict[str, str]]:
        message = params.get("SAMLResponse", "")
        request_id = stored.get("saml_request_id")
        if not message:
            raise _Failed(FailureCode.INVALID_TOKEN, "no SAMLResponse")
        if not isinstance(request_id, str) or not request_id:
            raise _Failed(FailureCode.STATE_MISMATCH, "no outstanding request")
        check_structure(decode_message(message))
        client = config.sp_client(site)
        idp = config.idp_entity_id(client)
        sp = config.service_provider(site)
        if stored.get("idp") != idp:
            raise _Failed(FailureCode.WRONG_ISSUER, "identity provider changed")
        parsed = self._parse(client, message, request_id)
        response = parsed.response
        skew = timedelta(seconds=settings.IDENTITY_SAML_CLOCK_SKEW_SECONDS)

        # The Response.
        if response.issuer is None or response.issuer.text != idp:
            raise _Failed(FailureCode.WRONG_ISSUER, "response issuer")
        if response.destination != sp.acs_url:
            raise _Failed(FailureCode.WRONG_AUDIENCE, "destination")
        if not response.in_response_to or not secrets_equal(response.in_response_to, request_id):
            raise _Failed(FailureCode.STATE_MISMATCH, "InResponseTo")
        if response.signature is None:
            raise _Failed(FailureCode.BAD_SIGNATURE, "response not signed")
        issued = _instant(response.issue_instant, "IssueInstant")
        if issued > now + skew or issued < now - timedelta(minutes=5) - skew:
            raise _Failed(FailureCode.TOKEN_EXPIRED, "response IssueInstant")

        # The Assertion (decrypted and signature-checked by pysaml2).
        assertions = parsed.assertions or []
        if len(assertions) != 1 or parsed.assertion is not assertions[0]:
            raise _Failed(FailureCode.INVALID_TOKEN, "not exactly one assertion")
        assertion = parsed.assertion
        if assertion.signature is None:
            raise _Failed(FailureCode.BAD_SIGNATURE, "assertion not signed")
        if assertion.issuer is None or assertion.issuer.text != idp:
            raise _Failed(FailureCode.WRONG_ISSUER, "assertion issuer")
        conditions = assertion.conditions
        if conditions is None:
            raise _Failed(FailureCode.INVALID_TOKEN, "no conditions")
        if conditions.not_before and _instant(conditions.not_before, "NotBefore") > now + skew:
            raise _Failed(FailureCode.INVALID_TOKEN, "NotBefore in the future")
        if now >= _instant(conditions.not_on_or_after, "NotOnOrAfter") + skew:
            raise _Failed(FailureCode.TOKEN_EXPIRED, "conditions NotOnOrAfter")
        audiences = [
            audience.text
            for restriction in conditions.audience_restriction or []
            for audience in restriction.audience or []
        ]
        if not audiences or any(a != sp.entity_id for a in audiences):
            raise _Failed(FailureCode.WRONG_AUDIENCE, "audience")
        subject = assertion.subject
        if subject is None or subject.name_id is None or not subject.name_id.text:
            raise _Failed(FailureCode.INVALID_TOKEN, "no NameID")
        bearer = [
            confirmation.subject_confirmation_data
            for confirmation in subject.subject_confirmation or []
            if confirmation.method == "urn:oasis:names:tc:SAML:2.0:cm:bearer"
            and confirmation.subject_confirmation_data is not None
        ]
        if len(bearer) != 1:
            raise _Failed(FailureCode.INVALID_TOKEN, "not exactly one bearer confirmation")
        data = bearer[0]
        if data.recipient != sp.acs_url:
            raise _Failed(FailureCode.WRONG_AUDIENCE, "recipient")
        if not data.in_response_to or not secrets_equal(data.in_response_to, request_id):
            raise _Failed(FailureCode.STATE_MISMATCH, "confirmation InResponseTo")
        confirmation_ends = _instant(data.not_on_or_after, "confirmation NotOnOrAfter")
        if now >= confirmation_ends + skew:
            raise _Failed(FailureCode.TOKEN_EXPIRED, "confirmation NotOnOrAfter")
        statements = assertion.authn_statement or []
        if len(statements) != 1 or statements[0].authn_context is None:
            raise _Failed(FailureCode.INVALID_TOKEN, "not exactly one authn statement")
        class_ref = statements[0].authn_context.authn_context_class_ref
        acr = class_ref.text.strip() if class_ref is not None and class_ref.text else ""
        if acr not in config.accepted_levels():
            raise _Failed(FailureCode.LEVEL_TOO_LOW, "AuthnContextClassRef")
        if not assertion.id:
            raise _Failed(FailureCode.INVALID_TOKEN, "assertion ID")
        identity = identity_from(_attributes(assertion), issuer=idp, acr=acr)

        # Last, so that a refused assertion does not use up its ID.
        replay_key = (
            "identity:saml:assertion:"
            + hashlib.sha256(f"{idp}\n{assertion.id}".encode()).hexdigest()
        )
        remaining = (confirmation_ends + skew - now).total_seconds()
        if not cache.add(replay_key, 1, max(int(remaining) + 60, 60)):
            raise _Failed(FailureCode.REPLAYED, "assertion ID seen before")
        login = {
            "idp": idp,
            "name_id": subject.name_id.text,
            "name_id_format": subject.name_id.format or c.NAMEID_FORMAT_TRANSIENT,
            "name_qualifier": subject.name_id.name_qualifier or "",
            "sp_name_qualifier": subject.name_id.sp_name_qualifier or "",
            "session_index": statements[0].session_index or "",
        }
        return identity, login

    # --- 3. logout ---------------------------------------------------------------------
    def logout(self, *, site: Site) -> str | None:
        """SAML logout needs the person's session (identity.saml.logout); there is
        no session-less logout address."""
        return None


def secrets_equal(a: str, b: str) -> bool:
    return secrets.compare_digest(a.encode(), b.encode())
