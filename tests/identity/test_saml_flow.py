"""The SAML handoff through HTTP against the stand-in SAML identity provider:
the signed AuthnRequest, the person bound to the conversation, eIDAS, cancel,
the identity provider's certificate rotation, and our metadata."""

from __future__ import annotations

import base64
import zlib
from urllib.parse import parse_qs, urlsplit

import pytest
from defusedxml import ElementTree

from identity import crypto
from identity.models import FailureCode, IdentityBinding, Level, RequestState
from identity.saml import config
from identity.saml import constants as c
from identity.saml.logout import verify_redirect_signature
from identity.standin import saml_idp
from tests.identity.saml_support import SITE

pytestmark = pytest.mark.django_db

SAMLP = "{urn:oasis:names:tc:SAML:2.0:protocol}"
SAML = "{urn:oasis:names:tc:SAML:2.0:assertion}"
MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"
LEVELS = [
    "http://ftn.ficora.fi/2017/loa3",
    "http://eidas.europa.eu/LoA/high",
    "http://ftn.ficora.fi/2017/loa2",
    "http://eidas.europa.eu/LoA/substantial",
]


def _certificate_of(pem: str) -> str:
    return "".join(line for line in pem.splitlines() if "-----" not in line)


def test_the_authn_request_is_signed_and_asks_exactly_for_the_accepted_levels(saml_flow):
    saml_flow.conversation.language = "sv"
    saml_flow.conversation.save(update_fields=["language"])
    saml_flow.ask()
    assert saml_flow.open_link().status_code == 302
    url = saml_flow.sso_url
    raw_query = urlsplit(url).query
    query = {k: v[0] for k, v in parse_qs(raw_query).items()}
    assert urlsplit(url).path == "/identify/standin/saml/sso"
    assert query["SigAlg"] == c.SIG_RSA_SHA256
    sp = config.service_provider(SITE)
    assert verify_redirect_signature(
        raw_query, "SAMLRequest", [_certificate_of(sp.pair.certificate_pem)]
    )
    # The signature covers the query: one changed byte and it no longer verifies.
    assert not verify_redirect_signature(
        raw_query.replace("RelayState=", "RelayState=x"),
        "SAMLRequest",
        [_certificate_of(sp.pair.certificate_pem)],
    )
    # RelayState is an opaque key, never an address.
    assert "/" not in query["RelayState"] and ":" not in query["RelayState"]
    assert len(query["RelayState"]) >= 40
    xml = zlib.decompress(base64.b64decode(query["SAMLRequest"]), -15)
    request = ElementTree.fromstring(xml)
    assert request.tag == f"{SAMLP}AuthnRequest"
    assert request.get("AssertionConsumerServiceURL") == sp.acs_url
    assert request.get("Destination") == "http://testserver/identify/standin/saml/sso"
    assert request.find(f"{SAMLP}NameIDPolicy").get("Format") == c.NAMEID_FORMAT_TRANSIENT
    context = request.find(f"{SAMLP}RequestedAuthnContext")
    assert context.get("Comparison") == "exact"
    assert [ref.text for ref in context.findall(f"{SAML}AuthnContextClassRef")] == LEVELS
    language = request.find(f"{SAMLP}Extensions/{{{c.VETUMA_NS}}}vetuma/{{{c.VETUMA_NS}}}LG")
    assert language is not None and language.text == "sv"
    # The request's ID waits server-side for the one response that answers it.
    saml_flow.request.refresh_from_db()
    assert saml_flow.request.secrets["saml_request_id"] == request.get("ID")
    assert saml_flow.request.provider == "saml"


def test_a_person_identifies_and_is_bound_to_the_conversation(saml_flow):
    old_key = saml_flow.browser.session.session_key
    page = saml_flow.identify(person="joni", method="mobile")
    assert page.status_code == 200, page.content
    assert "Joni Kristian Kivi" in page.content.decode()
    binding = IdentityBinding.objects.get(conversation=saml_flow.conversation)
    assert (binding.given_names, binding.family_name) == ("Joni Kristian", "Kivi")
    assert binding.level == Level.HIGH
    assert binding.acr == "http://ftn.ficora.fi/2017/loa3"
    assert binding.provider == "saml"
    assert binding.birth_date is not None and binding.birth_date.isoformat() == "1969-04-01"
    assert crypto.decrypt_hetu(binding.hetu_ciphertext) == "010469-999W"
    saml_flow.request.refresh_from_db()
    assert saml_flow.request.state == RequestState.COMPLETED
    assert saml_flow.request.secrets == {}
    # A new session key; the single-logout details are kept in the session.
    assert saml_flow.browser.session.session_key != old_key
    login = saml_flow.login
    assert login is not None and login["session_index"] and login["name_id"]
    assert login["idp"] == saml_idp.entity_id(SITE)


def test_a_foreign_person_without_a_finnish_code(saml_flow):
    saml_flow.ask()
    saml_flow.open_link()
    saml_flow.choose(action="eidas")
    page = saml_flow.come_back()
    assert page.status_code == 200, page.content
    binding = IdentityBinding.objects.get(conversation=saml_flow.conversation)
    assert (binding.given_names, binding.family_name) == ("Erika", "Mustermann")
    assert binding.birth_date is not None and binding.birth_date.isoformat() == "1964-08-12"
    assert binding.hetu_ciphertext == "" and binding.hetu_digest == ""
    assert binding.level == Level.SUBSTANTIAL
    assert binding.subject_digest


def test_the_person_who_had_an_address_ban_is_stored_without_anything_more(saml_flow):
    assert saml_flow.identify(person="mikko").status_code == 200
    binding = IdentityBinding.objects.get(conversation=saml_flow.conversation)
    # Mikko's assertion carries the address-information ban; nothing of it (nor
    # any address or mail) has a place to be kept.
    fields = {f.name for f in IdentityBinding._meta.fields}
    assert not fields & {"address", "mail", "email", "address_ban", "turvakielto"}
    assert (binding.given_names, binding.family_name) == ("Mikko", "Suojattu")


def test_cancel_at_the_identity_provider(saml_flow):
    saml_flow.ask()
    saml_flow.open_link()
    saml_flow.choose(action="cancel")
    page = saml_flow.come_back()
    assert page.status_code == 400
    assert f'data-code="{FailureCode.CANCELLED}"' in page.content.decode()
    saml_flow.request.refresh_from_db()
    assert saml_flow.request.state == RequestState.CANCELLED


def test_either_certificate_of_the_identity_provider_is_accepted(saml_flow, settings):
    settings.IDENTITY_STANDIN_SAML_SIGNING_KEY = 1  # the "next" certificate signs
    assert saml_flow.identify().status_code == 200
    assert IdentityBinding.objects.filter(conversation=saml_flow.conversation).exists()


def test_the_identity_provider_metadata_is_read_from_a_file(saml_flow, settings, tmp_path):
    path = tmp_path / "idp-metadata.xml"
    path.write_text(saml_idp.metadata_xml(SITE))
    settings.IDENTITY_SAML_IDP_METADATA_FILE = str(path)
    settings.IDENTITY_STANDIN_ENABLED = (
        True  # the stand-in still answers, but is not asked for metadata
    )
    assert saml_flow.identify().status_code == 200
    # Only the file is trusted: metadata with another certificate breaks the flow.
    other = saml_idp.metadata_xml(SITE)
    assert "X509Certificate" in other


def test_the_continuation_of_a_response_works_once(saml_flow):
    saml_flow.ask()
    saml_flow.open_link()
    saml_flow.choose()
    posted = saml_flow.browser.post(
        saml_flow.post.acs_path,
        {"SAMLResponse": saml_flow.post.saml_response, "RelayState": saml_flow.post.relay_state},
    )
    assert posted.status_code == 303
    assert saml_flow.browser.get(posted["Location"]).status_code == 200
    again = saml_flow.browser.get(posted["Location"])
    assert again.status_code == 400
    assert f'data-code="{FailureCode.REPLAYED}"' in again.content.decode()


def test_our_metadata(saml, client):
    response = client.get("/identify/saml/metadata/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/samlmetadata+xml"
    root = ElementTree.fromstring(response.content)
    assert root.get("entityID") == "http://testserver/identify/saml/metadata/"
    sp = root.find(f"{MD}SPSSODescriptor")
    assert sp.get("AuthnRequestsSigned") == "true"
    assert sp.get("WantAssertionsSigned") == "true"
    acs = sp.find(f"{MD}AssertionConsumerService")
    assert (acs.get("Location"), acs.get("Binding")) == (
        "http://testserver/identify/saml/acs/",
        c.BINDING_HTTP_POST,
    )
    slo = sp.find(f"{MD}SingleLogoutService")
    assert (slo.get("Location"), slo.get("Binding")) == (
        "http://testserver/identify/saml/slo/",
        c.BINDING_HTTP_REDIRECT,
    )
    assert sp.find(f"{MD}NameIDFormat").text == c.NAMEID_FORMAT_TRANSIENT
    certificates = {
        element.text.strip()
        for element in sp.iter("{http://www.w3.org/2000/09/xmldsig#}X509Certificate")
    }
    assert certificates == {_certificate_of(config.service_provider(SITE).pair.certificate_pem)}
    uses = {key.get("use") for key in sp.findall(f"{MD}KeyDescriptor")}
    assert uses == {"signing", "encryption"}
    names = {
        element.get("{http://www.w3.org/XML/1998/namespace}lang"): element.text
        for element in sp.iter("{urn:oasis:names:tc:SAML:metadata:ui}DisplayName")
    }
    assert set(names) == {"fi", "sv", "en"}
    attributes = {
        attribute.get("Name"): [v.text for v in attribute.findall(f"{SAML}AttributeValue")]
        for attribute in root.iter(f"{SAML}Attribute")
    }
    assert attributes["FinnishAuthMethod"] == LEVELS


def test_our_metadata_is_not_served_when_saml_is_off(client, settings):
    settings.IDENTITY_PROVIDER = "oidc"
    assert client.get("/identify/saml/metadata/").status_code == 404


def test_the_stand_in_refuses_an_unsigned_authn_request(saml_flow):
    saml_flow.ask()
    saml_flow.open_link()
    parts = urlsplit(saml_flow.sso_url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    del query["Signature"]
    from urllib.parse import urlencode

    page = saml_flow.browser.get(parts.path + "?" + urlencode(query))
    assert page.status_code == 400


def test_the_stand_in_is_off_unless_enabled(saml, client, settings):
    settings.IDENTITY_STANDIN_ENABLED = False
    assert client.get("/identify/standin/saml/metadata").status_code == 404
    assert client.get("/identify/standin/saml/sso").status_code == 404
