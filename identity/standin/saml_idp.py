"""A stand-in SAML identity provider shaped like Suomi.fi's test IdP, for
development and tests (IDENTITY_STANDIN_ENABLED; production refuses it).

It publishes metadata with two signing certificates (Suomi.fi rotates: both are
listed, one signs; IDENTITY_STANDIN_SAML_SIGNING_KEY picks which), accepts only
AuthnRequests signed by the service provider's key from its metadata, answers
with a signed Response containing a signed and encrypted Assertion valid five
minutes with a SessionIndex and Suomi.fi's attribute URIs, reports a cancel as
Responder/AuthnFailed, and takes part in single logout both ways. Its trust in
the service provider is the service provider's own metadata, made in-process.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from saml2 import samlp
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NameID
from saml2.server import Server

import identity.saml  # noqa: F401  (silences pysaml2's logging first)
from identity.providers.base import Site
from identity.saml import config as sp_config
from identity.saml import constants as c
from identity.saml.keys import standin_idp_pairs
from identity.standin.persons import Person
from identity.standin.server import METHODS, TEST_ACR

TRANSACTION_SECONDS = 600
LIFETIME_MINUTES = 5


def entity_id(site: Site) -> str:
    return site.origin + reverse("identity:standin-saml-metadata")


def _config_dict(site: Site, *, with_sp: bool) -> dict[str, Any]:
    pairs = standin_idp_pairs()
    chosen = settings.IDENTITY_STANDIN_SAML_SIGNING_KEY % len(pairs)
    signing = pairs[chosen]
    others = [pair.cert_file for index, pair in enumerate(pairs) if index != chosen]
    conf: dict[str, Any] = {
        "entityid": entity_id(site),
        "xmlsec_binary": sp_config.xmlsec_binary(),
        "key_file": signing.key_file,
        "cert_file": signing.cert_file,
        "additional_cert_files": others,
        "accepted_time_diff": 60,
        "allow_unknown_attributes": True,
        "signing_algorithm": c.SIG_RSA_SHA256,
        "digest_algorithm": c.DIGEST_SHA256,
        "service": {
            "idp": {
                "name": "Stand-in Suomi.fi",
                "endpoints": {
                    "single_sign_on_service": [
                        (
                            site.origin + reverse("identity:standin-saml-sso"),
                            c.BINDING_HTTP_REDIRECT,
                        )
                    ],
                    "single_logout_service": [
                        (
                            site.origin + reverse("identity:standin-saml-slo"),
                            c.BINDING_HTTP_REDIRECT,
                        )
                    ],
                },
                "name_id_format": [c.NAMEID_FORMAT_TRANSIENT],
                "want_authn_requests_signed": True,
                "sign_response": True,
                "sign_assertion": True,
                "encrypt_assertion": True,
                "policy": {
                    "default": {
                        "lifetime": {"minutes": LIFETIME_MINUTES},
                        "attribute_restrictions": None,
                        "name_form": c.NAME_FORMAT_URI,
                    }
                },
            }
        },
    }
    if with_sp:
        conf["metadata"] = {"inline": [sp_config.sp_metadata_xml(site)]}
    return conf


def server(site: Site) -> Server:
    conf = IdPConfig()
    conf.load(_config_dict(site, with_sp=True))
    return Server(config=conf)


def metadata_xml(site: Site) -> str:
    conf = IdPConfig()
    conf.load(_config_dict(site, with_sp=False))
    return create_metadata_string(None, config=conf, valid=0, sign=False).decode()


# --- single sign-on ----------------------------------------------------------------
class RequestRefused(Exception):
    pass


@dataclass(frozen=True)
class Pending:
    request_id: str
    sp_entity_id: str
    acs_url: str
    relay_state: str
    levels: list[str]
    language: str


def open_request(site: Site, params: dict[str, str]) -> tuple[str, Pending]:
    """Verify an AuthnRequest (HTTP-Redirect, signature required) and keep it
    for the chooser page. Returns (transaction id, request)."""
    idp = server(site)
    try:
        parsed = idp.parse_authn_request(
            params.get("SAMLRequest", ""),
            c.BINDING_HTTP_REDIRECT,
            relay_state=params.get("RelayState"),
            sigalg=params.get("SigAlg"),
            signature=params.get("Signature"),
        )
    except Exception:
        raise RequestRefused("the AuthnRequest is not valid or not signed") from None
    if parsed is None:
        raise RequestRefused("the AuthnRequest is not valid")
    message = parsed.message
    args = idp.response_args(message, [c.BINDING_HTTP_POST])
    policy = message.name_id_policy
    if policy is None or policy.format != c.NAMEID_FORMAT_TRANSIENT:
        raise RequestRefused("NameIDPolicy must be transient")
    context = message.requested_authn_context
    levels = [ref.text for ref in context.authn_context_class_ref] if context else []
    if context is None or context.comparison != "exact" or not levels:
        raise RequestRefused("RequestedAuthnContext must be exact")
    language = "fi"
    for element in message.extensions.extension_elements if message.extensions else []:
        if element.tag == "vetuma":
            for child in element.children:
                if child.tag == "LG" and child.text in ("fi", "sv", "en"):
                    language = child.text
    pending = Pending(
        request_id=message.id,
        sp_entity_id=args["sp_entity_id"],
        acs_url=args["destination"],
        relay_state=params.get("RelayState", ""),
        levels=levels,
        language=language,
    )
    transaction = secrets.token_urlsafe(24)
    cache.set(f"standin:saml:tx:{transaction}", asdict(pending), TRANSACTION_SECONDS)
    return transaction, pending


def peek(transaction: str) -> Pending | None:
    data = cache.get(f"standin:saml:tx:{transaction}") if transaction else None
    return Pending(**data) if isinstance(data, dict) else None


def take(transaction: str) -> Pending | None:
    pending = peek(transaction)
    if pending is not None and not cache.delete(f"standin:saml:tx:{transaction}"):
        return None
    return pending


def methods_for(pending: Pending) -> list[str]:
    return [m for m, level in METHODS.items() if level in pending.levels]


def attributes_of(person: Person) -> dict[str, list[str]]:
    """Suomi.fi's attributes (URIs) for a stand-in person."""
    if person.eidas_id:
        return {
            c.FIRST_NAMES: [person.given_names],
            c.EIDAS_FAMILY_NAME: [person.family_name],
            c.EIDAS_DATE_OF_BIRTH: [person.birth_date.isoformat() if person.birth_date else ""],
            c.EIDAS_PERSON_ID: [person.eidas_id],
        }
    calling_name = person.given_names.split()[0]
    attributes = {
        c.HETU: [person.hetu],
        c.CN: [f"{person.family_name} {person.given_names}"],
        c.DISPLAY_NAME: [f"{calling_name} {person.family_name}"],
        c.GIVEN_NAME: [calling_name],
        c.SURNAME: [person.family_name],
        c.FIRST_NAMES: [person.given_names],
    }
    if person.key == "mikko":
        attributes[c.ADDRESS_BAN] = ["1"]
    return attributes


@dataclass(frozen=True)
class PostBack:
    """The auto-post form's contents: where, the SAMLResponse, the RelayState."""

    acs_url: str
    saml_response: str
    relay_state: str


def respond(site: Site, pending: Pending, *, person: Person, method: str) -> PostBack:
    idp = server(site)
    level = METHODS[method]
    if (
        settings.IDENTITY_ALLOW_TEST_LEVEL
        and TEST_ACR in pending.levels
        and level not in pending.levels
    ):
        level = TEST_ACR
    name_id = NameID(
        format=c.NAMEID_FORMAT_TRANSIENT,
        text="AAdzZWNyZXQx" + secrets.token_hex(16),
        name_qualifier=entity_id(site),
        sp_name_qualifier=pending.sp_entity_id,
    )
    response = idp.create_authn_response(
        identity=attributes_of(person),
        in_response_to=pending.request_id,
        destination=pending.acs_url,
        sp_entity_id=pending.sp_entity_id,
        name_id=name_id,
        authn={"class_ref": level, "authn_auth": entity_id(site)},
        sign_response=True,
        sign_assertion=True,
        encrypt_assertion=True,
        encrypt_assertion_self_contained=True,
        sign_alg=c.SIG_RSA_SHA256,
        digest_alg=c.DIGEST_SHA256,
    )
    return PostBack(pending.acs_url, _b64(str(response)), pending.relay_state)


def cancel(site: Site, pending: Pending) -> PostBack:
    """What Suomi.fi sends when the person cancels: Responder / AuthnFailed."""
    idp = server(site)
    response = idp.create_error_response(
        in_response_to=pending.request_id,
        destination=pending.acs_url,
        info=(c.STATUS_AUTHN_FAILED, "cancelled by the user"),
        sign=True,
        sign_alg=c.SIG_RSA_SHA256,
        digest_alg=c.DIGEST_SHA256,
    )
    return PostBack(pending.acs_url, _b64(str(response)), pending.relay_state)


def _b64(xml: str) -> str:
    return base64.b64encode(xml.encode()).decode()


# --- single logout -----------------------------------------------------------------
def _sp_slo(idp: Server, sp_entity_id: str) -> str:
    endpoints = idp.metadata.single_logout_service(sp_entity_id, c.BINDING_HTTP_REDIRECT, "spsso")
    return endpoints[0]["location"]


def logout_request_url(
    site: Site, *, sp_entity_id: str, name_id: str, session_index: str, relay_state: str = ""
) -> str:
    """IdP-initiated logout: a signed LogoutRequest to the service provider."""
    idp = server(site)
    destination = _sp_slo(idp, sp_entity_id)
    _request_id, request = idp.create_logout_request(
        destination=destination,
        issuer_entity_id=sp_entity_id,
        name_id=NameID(format=c.NAMEID_FORMAT_TRANSIENT, text=name_id),
        session_indexes=[session_index] if session_index else None,
        sign=False,
    )
    info = idp.apply_binding(
        c.BINDING_HTTP_REDIRECT,
        str(request),
        destination,
        relay_state or secrets.token_urlsafe(8),
        sign=True,
        sigalg=c.SIG_RSA_SHA256,
    )
    return dict(info["headers"])["Location"]


def answer_logout(site: Site, params: dict[str, str]) -> str:
    """The service provider's LogoutRequest (signature required): answered with a
    signed LogoutResponse. Returns the address to send the browser to."""
    idp = server(site)
    try:
        parsed = idp.parse_logout_request(
            params.get("SAMLRequest", ""),
            c.BINDING_HTTP_REDIRECT,
            relay_state=params.get("RelayState"),
            sigalg=params.get("SigAlg"),
            signature=params.get("Signature"),
        )
    except Exception:
        raise RequestRefused("the LogoutRequest is not valid or not signed") from None
    message = parsed.message
    destination = _sp_slo(idp, message.issuer.text)
    response = idp.create_logout_response(
        message,
        bindings=[c.BINDING_HTTP_REDIRECT],
        status=samlp.Status(status_code=samlp.StatusCode(value=c.STATUS_SUCCESS)),
        sign=False,
    )
    info = idp.apply_binding(
        c.BINDING_HTTP_REDIRECT,
        str(response),
        destination,
        params.get("RelayState", ""),
        response=True,
        sign=True,
        sigalg=c.SIG_RSA_SHA256,
    )
    return dict(info["headers"])["Location"]
