"""Every way a SAML response is refused, each on its own, with a response the test
itself altered: either before the stand-in signs it (`tampering`: the content
is wrong but the signatures are good, so the check under test is the only thing
standing) or after (the signed bytes changed: bad signature, wrapping). In each
case the resident gets a plain page, the request records the failure, and
nobody is bound to the conversation."""

from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as StdElementTree
from datetime import timedelta

import pytest
from defusedxml import ElementTree
from django.utils import timezone

from identity.models import FailureCode, IdentityBinding, RequestState
from identity.providers import IdentificationFailure, VerifiedIdentity, get_provider
from identity.standin import saml_idp
from identity.standin.persons import BY_KEY
from tests.identity.saml_support import SITE, b64, tampering, xml_of

pytestmark = pytest.mark.django_db

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DSIG = "http://www.w3.org/2000/09/xmldsig#"
ELSEWHERE = "https://attacker.example.net/saml"


def assert_refused(flow, page, code):
    assert page.status_code == 400, page.content
    assert f'data-code="{code}"' in page.content.decode()
    flow.request.refresh_from_db()
    assert flow.request.state == RequestState.FAILED
    assert flow.request.failure_code == code
    assert flow.request.secrets == {}
    assert not IdentityBinding.objects.filter(conversation=flow.conversation).exists()
    assert flow.login is None


def tampered(flow, change, **choice):
    """The flow up to the identity provider's answer, built as `change` says."""
    flow.ask()
    assert flow.open_link().status_code == 302
    with tampering(change):
        flow.choose(**choice)
    return flow.come_back()


def _confirmation(arguments):
    return arguments["assertion"].subject.subject_confirmation[0].subject_confirmation_data


# --- signatures -------------------------------------------------------------------
def test_a_changed_signed_response_is_refused(saml_flow):
    saml_flow.ask()
    saml_flow.open_link()
    saml_flow.choose()
    xml = xml_of(saml_flow.post.saml_response)
    # One signed attribute of the Response changes (its IssueInstant's seconds).
    changed = re.sub(
        r'(<ns0:Response[^>]*IssueInstant="[^"]*)(\d)Z"',
        lambda m: m[1] + str((int(m[2]) + 1) % 10) + 'Z"',
        xml,
        count=1,
    )
    assert changed != xml
    page = saml_flow.come_back(saml_response=b64(changed))
    assert_refused(saml_flow, page, FailureCode.BAD_SIGNATURE)


def test_an_unsigned_assertion_is_refused(saml_flow):
    def unsigned_assertion(arguments):
        arguments["sign_assertion"] = False

    page = tampered(saml_flow, unsigned_assertion)
    assert_refused(saml_flow, page, FailureCode.BAD_SIGNATURE)


def test_an_unsigned_response_is_refused(saml_flow):
    def unsigned_response(arguments):
        arguments["sign"] = False

    page = tampered(saml_flow, unsigned_response)
    assert_refused(saml_flow, page, FailureCode.BAD_SIGNATURE)


def test_an_assertion_that_is_not_encrypted_is_refused(saml_flow):
    def plain(arguments):
        arguments["encrypt_assertion"] = False

    page = tampered(saml_flow, plain)
    assert_refused(saml_flow, page, FailureCode.INVALID_TOKEN)


def test_a_signature_wrapping_attempt_is_refused(saml_flow):
    """XSW: the genuine signed Response (Tessa) hidden in the Extensions of an
    attacker's Response that carries its own assertion (Joni, encrypted to our
    public certificate, unsigned), with the genuine Signature kept on top."""
    saml_flow.ask()
    saml_flow.open_link()
    saml_flow.choose(person="tessa")
    saml_flow.request.refresh_from_db()
    genuine = ElementTree.fromstring(xml_of(saml_flow.post.saml_response))

    pending = saml_idp.Pending(
        request_id=saml_flow.request.secrets["saml_request_id"],
        sp_entity_id=saml_flow.request.secrets["entity_id"],
        acs_url=saml_flow.request.secrets["acs"],
        relay_state=saml_flow.post.relay_state,
        levels=["http://ftn.ficora.fi/2017/loa3"],
        language="fi",
    )

    def attacker(arguments):
        arguments["sign_assertion"] = False
        arguments["sign"] = False

    with tampering(attacker):
        forged = saml_idp.respond(SITE, pending, person=BY_KEY["joni"], method="mobile")
    forged_root = ElementTree.fromstring(xml_of(forged.saml_response))
    forged_assertion = forged_root.find(f"{{{SAML}}}EncryptedAssertion")
    assert forged_assertion is not None

    evil = copy.deepcopy(genuine)
    evil.set("ID", "_evil" + genuine.get("ID"))
    for child in list(evil):
        if child.tag == f"{{{SAML}}}EncryptedAssertion":
            evil.remove(child)
    extensions = StdElementTree.Element(f"{{{SAMLP}}}Extensions")
    extensions.append(copy.deepcopy(genuine))
    position = [child.tag for child in evil].index(f"{{{SAMLP}}}Status")
    evil.insert(position, extensions)
    evil.append(forged_assertion)
    assert evil.find(f"{{{DSIG}}}Signature") is not None  # the genuine signature, kept
    wrapped = StdElementTree.tostring(evil, encoding="unicode")

    page = saml_flow.come_back(saml_response=b64(wrapped))
    assert page.status_code == 400
    assert not IdentityBinding.objects.filter(conversation=saml_flow.conversation).exists()
    saml_flow.request.refresh_from_db()
    assert saml_flow.request.failure_code in (FailureCode.BAD_SIGNATURE, FailureCode.INVALID_TOKEN)


# --- addressed to someone else -------------------------------------------------------
def test_a_wrong_audience_is_refused(saml_flow):
    def other_audience(arguments):
        arguments["assertion"].conditions.audience_restriction[0].audience[0].text = ELSEWHERE

    page = tampered(saml_flow, other_audience)
    assert_refused(saml_flow, page, FailureCode.WRONG_AUDIENCE)


def test_a_wrong_recipient_is_refused(saml_flow):
    def other_recipient(arguments):
        _confirmation(arguments).recipient = ELSEWHERE + "/acs"

    page = tampered(saml_flow, other_recipient)
    assert_refused(saml_flow, page, FailureCode.WRONG_AUDIENCE)


def test_a_wrong_destination_is_refused(saml_flow):
    def other_destination(arguments):
        arguments["consumer_url"] = ELSEWHERE + "/acs"

    page = tampered(saml_flow, other_destination)
    assert_refused(saml_flow, page, FailureCode.WRONG_AUDIENCE)


def test_an_assertion_naming_another_issuer_is_refused(saml_flow):
    # Its signature is checked with the keys of the issuer it names, which we do
    # not have: refused as a bad signature before anything else is read.
    def other_issuer(arguments):
        arguments["assertion"].issuer.text = ELSEWHERE

    page = tampered(saml_flow, other_issuer)
    assert_refused(saml_flow, page, FailureCode.BAD_SIGNATURE)


def test_a_response_for_another_identity_provider_is_refused(saml_flow, settings):
    # The request was started with one identity provider; the answer is read
    # against the one configured now (its metadata changed in between).
    saml_flow.ask()
    saml_flow.open_link()
    saml_flow.choose()
    request = saml_flow.request
    request.refresh_from_db()
    request.secrets = {**request.secrets, "idp": ELSEWHERE}
    request.save(update_fields=["secrets"])
    assert_refused(saml_flow, saml_flow.come_back(), FailureCode.WRONG_ISSUER)


# --- time ---------------------------------------------------------------------------
def test_an_expired_assertion_is_refused(saml_flow):
    from saml2.time_util import instant

    def expired(arguments):
        past = instant(time_stamp=int((timezone.now() - timedelta(minutes=10)).timestamp()))
        arguments["assertion"].conditions.not_on_or_after = past
        _confirmation(arguments).not_on_or_after = past

    page = tampered(saml_flow, expired)
    assert_refused(saml_flow, page, FailureCode.TOKEN_EXPIRED)


def _started(flow):
    flow.ask()
    flow.open_link()
    flow.request.refresh_from_db()
    stored = dict(flow.request.secrets)
    flow.choose()
    params = {"SAMLResponse": flow.post.saml_response, "RelayState": flow.post.relay_state}
    return stored, params


def test_the_five_minute_window_is_checked_at_the_moment_given(saml_flow, settings):
    settings.IDENTITY_SAML_CLOCK_SKEW_SECONDS = 30
    stored, params = _started(saml_flow)
    provider = get_provider("saml")
    later = timezone.now() + timedelta(minutes=6)
    outcome = provider.finish(site=SITE, params=params, secrets=stored, now=later)
    assert isinstance(outcome, IdentificationFailure)
    assert outcome.code == FailureCode.TOKEN_EXPIRED
    # The same moment with a clock skew allowance of ten minutes is still inside.
    settings.IDENTITY_SAML_CLOCK_SKEW_SECONDS = 600
    outcome = provider.finish(site=SITE, params=params, secrets=stored, now=later)
    assert isinstance(outcome, VerifiedIdentity)


def test_an_assertion_from_the_future_is_refused(saml_flow):
    stored, params = _started(saml_flow)
    earlier = timezone.now() - timedelta(minutes=3)
    outcome = get_provider("saml").finish(site=SITE, params=params, secrets=stored, now=earlier)
    assert isinstance(outcome, IdentificationFailure)


# --- replay and correlation --------------------------------------------------------------
def test_a_replayed_assertion_is_refused(saml_flow):
    """The assertion-ID cache on its own: the same response handed to the
    provider twice with the request's secrets (as a second, parallel request
    would) is accepted once."""
    stored, params = _started(saml_flow)
    provider = get_provider("saml")
    first = provider.finish(site=SITE, params=params, secrets=stored)
    assert isinstance(first, VerifiedIdentity)
    second = provider.finish(site=SITE, params=params, secrets=stored)
    assert isinstance(second, IdentificationFailure)
    assert second.code == FailureCode.REPLAYED


def test_a_response_posted_again_is_refused(saml_flow):
    assert saml_flow.identify().status_code == 200
    again = saml_flow.come_back()
    assert again.status_code == 400
    assert f'data-code="{FailureCode.REPLAYED}"' in again.content.decode()


def test_an_unknown_in_response_to_is_refused(saml_flow):
    def unknown(arguments):
        arguments["in_response_to"] = "_0123456789abcdef0123456789abcdef"
        _confirmation(arguments).in_response_to = "_0123456789abcdef0123456789abcdef"

    page = tampered(saml_flow, unknown)
    assert_refused(saml_flow, page, FailureCode.STATE_MISMATCH)


def test_an_unsolicited_response_is_refused_even_with_a_valid_relay_state(saml_flow):
    def unsolicited(arguments):
        arguments["in_response_to"] = None
        _confirmation(arguments).in_response_to = None

    page = tampered(saml_flow, unsolicited)
    assert_refused(saml_flow, page, FailureCode.STATE_MISMATCH)


def test_an_unsolicited_response_without_relay_state_is_refused(saml_flow):
    saml_flow.ask()
    saml_flow.open_link()
    saml_flow.choose()
    page = saml_flow.come_back(relay_state="")
    assert page.status_code == 400
    assert f'data-code="{FailureCode.STATE_MISMATCH}"' in page.content.decode()
    assert not IdentityBinding.objects.filter(conversation=saml_flow.conversation).exists()


def test_a_level_not_allowed_is_refused(saml_flow):
    def password(arguments):
        statement = arguments["assertion"].authn_statement[0]
        statement.authn_context.authn_context_class_ref.text = (
            "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
        )

    page = tampered(saml_flow, password)
    assert_refused(saml_flow, page, FailureCode.LEVEL_TOO_LOW)


def test_the_test_level_is_refused_unless_allowed(saml_flow):
    def test_level(arguments):
        statement = arguments["assertion"].authn_statement[0]
        statement.authn_context.authn_context_class_ref.text = "urn:oid:1.2.246.517.3002.110.999"

    page = tampered(saml_flow, test_level)
    assert_refused(saml_flow, page, FailureCode.LEVEL_TOO_LOW)


def test_an_invalid_identity_code_is_refused(saml_flow):
    def bad_code(arguments):
        for statement in arguments["assertion"].attribute_statement:
            for attribute in statement.attribute:
                if attribute.name == "urn:oid:1.2.246.21":
                    attribute.attribute_value[0].text = "010280-952X"

    page = tampered(saml_flow, bad_code)
    assert_refused(saml_flow, page, FailureCode.INVALID_TOKEN)
