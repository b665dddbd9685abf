"""This service as a SAML service provider: its addresses, its pysaml2
configuration, its metadata, and the identity provider's metadata.

Everything is read from settings when called (tests change them), and a fresh
pysaml2 client is made for each message: pysaml2's clients keep an in-memory
cache of every person they saw, which must not outlive the request.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import create_metadata_string
from saml2.sigver import get_xmlsec_binary

from identity.providers.base import ProviderError, Site
from identity.saml import constants as c
from identity.saml.keys import KeyPair, service_pair

ACCEPTED_LEVELS_SETTING = "IDENTITY_SAML_AUTHN_CONTEXTS"


def xmlsec_binary() -> str:
    """The xmlsec1 program pysaml2 drives; a clear message when it is missing."""
    path = shutil.which("xmlsec1")
    if path is None:
        try:
            path = get_xmlsec_binary()
        except Exception:
            path = None
    if not path:
        raise ImproperlyConfigured(
            "SAML needs the xmlsec1 program (Debian/Ubuntu: apt-get install xmlsec1; "
            "`make system-packages` installs it)."
        )
    return path


def accepted_levels() -> list[str]:
    """The AuthnContextClassRefs requested (Comparison exact) and accepted, from
    IDENTITY_SAML_AUTHN_CONTEXTS; the test level only with IDENTITY_ALLOW_TEST_LEVEL."""
    from identity.providers.oidc import ACR_LEVELS, TEST_ACR

    values = list(settings.IDENTITY_SAML_AUTHN_CONTEXTS)
    if any(v not in ACR_LEVELS for v in values):
        raise ImproperlyConfigured(
            f"{ACCEPTED_LEVELS_SETTING} may list only the levels of docs/identity.md."
        )
    if TEST_ACR in values and not settings.IDENTITY_ALLOW_TEST_LEVEL:
        values.remove(TEST_ACR)
    if settings.IDENTITY_ALLOW_TEST_LEVEL and TEST_ACR not in values:
        values.append(TEST_ACR)
    return values


@dataclass(frozen=True)
class ServiceProvider:
    entity_id: str
    acs_url: str
    slo_url: str
    metadata_url: str
    pair: KeyPair


def service_provider(site: Site) -> ServiceProvider:
    base = (settings.IDENTITY_SAML_BASE_URL or site.origin).rstrip("/")
    metadata_url = base + reverse("identity:saml-metadata")
    return ServiceProvider(
        entity_id=settings.IDENTITY_SAML_ENTITY_ID or metadata_url,
        acs_url=base + reverse("identity:saml-acs"),
        slo_url=base + reverse("identity:saml-slo"),
        metadata_url=metadata_url,
        pair=service_pair(),
    )


# --- the identity provider's metadata ------------------------------------------------
def _fetch_metadata(url: str) -> str:
    from identity.providers.http import HttpError, get_client

    key = "identity:saml:idp-metadata:" + hashlib.sha256(url.encode()).hexdigest()
    cached = cache.get(key)
    if cached:
        return str(cached)
    if urlsplit(url).scheme != "https" and settings.PRODUCTION:
        raise ImproperlyConfigured("IDENTITY_SAML_IDP_METADATA_URL must be https.")
    try:
        response = get_client().get(url)
    except HttpError:
        raise ProviderError("identity provider metadata could not be fetched") from None
    if response.status != 200 or b"EntityDescriptor" not in response.body:
        raise ProviderError("identity provider metadata missing")
    text = response.body.decode()
    cache.set(key, text, settings.IDENTITY_SAML_METADATA_SECONDS)
    return text


def idp_metadata(site: Site) -> str:
    """The identity provider's metadata XML: a file, a URL (cached), or in
    development the stand-in's."""
    if settings.IDENTITY_SAML_IDP_METADATA_FILE:
        try:
            with open(settings.IDENTITY_SAML_IDP_METADATA_FILE, encoding="utf-8") as handle:
                return handle.read()
        except OSError:
            raise ImproperlyConfigured(
                "IDENTITY_SAML_IDP_METADATA_FILE is not a readable file."
            ) from None
    if settings.IDENTITY_SAML_IDP_METADATA_URL:
        return _fetch_metadata(settings.IDENTITY_SAML_IDP_METADATA_URL)
    if settings.IDENTITY_STANDIN_ENABLED:
        from identity.standin import saml_idp

        return saml_idp.metadata_xml(site)
    raise ImproperlyConfigured(
        "IDENTITY_SAML_IDP_METADATA_FILE or IDENTITY_SAML_IDP_METADATA_URL must be set "
        "(the stand-in identity provider is off)."
    )


# --- pysaml2 ---------------------------------------------------------------------------
def _names(setting_prefix: str) -> list[dict[str, str]]:
    return [
        {"text": getattr(settings, f"{setting_prefix}_{lang.upper()}"), "lang": lang}
        for lang in ("fi", "sv", "en")
    ]


def sp_config_dict(site: Site, *, idp_xml: str | None = None) -> dict[str, Any]:
    sp = service_provider(site)
    names = _names("IDENTITY_SAML_NAME")
    config: dict[str, Any] = {
        "entityid": sp.entity_id,
        "xmlsec_binary": xmlsec_binary(),
        "key_file": sp.pair.key_file,
        "cert_file": sp.pair.cert_file,
        "encryption_keypairs": [{"key_file": sp.pair.key_file, "cert_file": sp.pair.cert_file}],
        "accepted_time_diff": settings.IDENTITY_SAML_CLOCK_SKEW_SECONDS,
        "allow_unknown_attributes": True,
        "signing_algorithm": c.SIG_RSA_SHA256,
        "digest_algorithm": c.DIGEST_SHA256,
        "service": {
            "sp": {
                "name": names[0]["text"],
                "name_id_format": [c.NAMEID_FORMAT_TRANSIENT],
                "endpoints": {
                    "assertion_consumer_service": [(sp.acs_url, c.BINDING_HTTP_POST)],
                    "single_logout_service": [(sp.slo_url, c.BINDING_HTTP_REDIRECT)],
                },
                "authn_requests_signed": True,
                "logout_requests_signed": True,
                "logout_responses_signed": True,
                "want_response_signed": True,
                "want_assertions_signed": True,
                "want_assertions_or_response_signed": True,
                "allow_unsolicited": False,
                "ui_info": {
                    "display_name": names,
                    "description": _names("IDENTITY_SAML_DESCRIPTION"),
                    **(
                        {"privacy_statement_url": settings.IDENTITY_SAML_PRIVACY_URL}
                        if settings.IDENTITY_SAML_PRIVACY_URL
                        else {}
                    ),
                },
            }
        },
        "organization": {
            "name": [(n["text"], n["lang"]) for n in _names("IDENTITY_SAML_ORGANIZATION")],
            "display_name": [(n["text"], n["lang"]) for n in _names("IDENTITY_SAML_ORGANIZATION")],
            "url": [(settings.IDENTITY_SAML_ORGANIZATION_URL or site.origin, "fi")],
        },
        "contact_person": [
            {
                "contact_type": "technical",
                "given_name": "Technical contact",
                "email_address": [settings.IDENTITY_SAML_CONTACT_EMAIL or "root@localhost"],
            }
        ],
        # Suomi.fi reads the accepted levels of assurance from our metadata.
        "entity_attributes": [
            {"name": "FinnishAuthMethod", "format": c.NAME_FORMAT_URI, "values": accepted_levels()}
        ],
    }
    if idp_xml is not None:
        config["metadata"] = {"inline": [idp_xml]}
    return config


def sp_client(site: Site) -> Saml2Client:
    config = SPConfig()
    config.load(sp_config_dict(site, idp_xml=idp_metadata(site)))
    return Saml2Client(config=config)


def sp_metadata_xml(site: Site) -> str:
    config = SPConfig()
    config.load(sp_config_dict(site))
    return create_metadata_string(None, config=config, valid=0, sign=False).decode()


def idp_entity_id(client: Saml2Client) -> str:
    """The identity provider: IDENTITY_SAML_IDP_ENTITY_ID, else the only one in
    its metadata."""
    known = list(client.metadata.identity_providers())
    configured = settings.IDENTITY_SAML_IDP_ENTITY_ID
    if configured:
        if configured not in known:
            raise ImproperlyConfigured(
                "IDENTITY_SAML_IDP_ENTITY_ID is not an identity provider in its metadata."
            )
        return configured
    if len(known) != 1:
        raise ImproperlyConfigured(
            "The identity provider metadata has several entities: set IDENTITY_SAML_IDP_ENTITY_ID."
        )
    return known[0]


def idp_signing_certs(client: Saml2Client, idp: str) -> list[str]:
    """Every signing certificate the identity provider publishes (rotation: both)."""
    return [cert for _name, cert in client.metadata.certs(idp, "idpsso", "signing")]


def idp_origins(site: Site) -> list[str]:
    """The identity provider's web origins (its SSO and SLO endpoints): the only
    pages that may frame our logout endpoint."""
    if settings.IDENTITY_SAML_IDP_ORIGINS:
        return list(settings.IDENTITY_SAML_IDP_ORIGINS)
    client = sp_client(site)
    idp = idp_entity_id(client)
    origins: set[str] = set()
    for service in ("single_sign_on_service", "single_logout_service"):
        for endpoint_list in client.metadata.service(idp, "idpsso_descriptor", service).values():
            for endpoint in endpoint_list:
                for attribute in ("location", "response_location"):
                    url = endpoint.get(attribute)
                    if url:
                        parts = urlsplit(url)
                        origins.add(f"{parts.scheme}://{parts.netloc}")
    return sorted(origins)
