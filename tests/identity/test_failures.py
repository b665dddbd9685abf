"""Every way an identification fails, each on its own. Bad tokens are made by the
test (the stand-in issues a good one; the test changes it, signs and encrypts it
again) so that each proves the relying party's own check. In every case the
resident gets a plain page, the request records the failure, nothing is bound."""

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from joserfc.jwk import ECKey, RSAKey

from identity.keys import client_keys
from identity.models import FailureCode, IdentificationRequest, IdentityBinding, RequestState
from identity.providers.oidc import TEST_ACR
from identity.standin import server
from tests.factories import ConversationFactory
from tests.identity.conftest import browser_for, open_id_token, path_of, query

pytestmark = pytest.mark.django_db


def assert_refused(flow, page, code, *, state=RequestState.FAILED, status=400):
    assert page.status_code == status, page.content
    assert f'data-code="{code}"' in page.content.decode()
    flow.request.refresh_from_db()
    assert flow.request.state == state
    assert flow.request.failure_code == code
    assert flow.request.secrets == {}
    assert not IdentityBinding.objects.filter(conversation=flow.conversation).exists()


def started(flow, **choice):
    flow.ask()
    assert flow.open_link().status_code == 302
    flow.choose(**choice)


# --- the resident, the link and the callback ------------------------------------
def test_cancelled_at_the_provider(flow):
    started(flow, action="cancel")
    assert query(flow.callback_url)["error"] == "access_denied"

    page = flow.come_back()

    assert_refused(flow, page, FailureCode.CANCELLED, state=RequestState.CANCELLED)
    assert "Du avbröt identifieringen" in page.content.decode()  # the conversation is in Swedish


def test_an_expired_link_is_refused(flow):
    flow.ask()
    IdentificationRequest.objects.filter(pk=flow.request.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    page = flow.open_link()

    assert page.status_code == 410
    assert 'data-code="expired"' in page.content.decode()
    flow.request.refresh_from_db()
    assert flow.request.state == RequestState.EXPIRED


def test_a_callback_after_the_request_expired_is_refused(flow):
    started(flow)
    IdentificationRequest.objects.filter(pk=flow.request.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    page = flow.come_back()

    assert_refused(flow, page, FailureCode.EXPIRED, state=RequestState.EXPIRED)


def test_the_link_in_another_browser_session_is_refused_and_stays_usable(flow, service):
    flow.ask()
    stranger = browser_for(ConversationFactory(service=service))
    nobody = flow.browser.__class__()

    for browser in (stranger, nobody):
        page = flow.open_link(browser)
        assert page.status_code == 403
        assert 'data-code="wrong_session"' in page.content.decode()
    flow.request.refresh_from_db()
    assert flow.request.state == RequestState.REQUESTED

    assert flow.open_link().status_code == 302  # the resident's own browser still can


def test_the_callback_in_another_browser_session_is_refused(flow, service):
    started(flow)
    stranger = browser_for(ConversationFactory(service=service))

    page = flow.come_back(stranger)

    assert_refused(flow, page, FailureCode.WRONG_SESSION)
    # The code cannot be used by the resident either afterwards.
    assert 'data-code="replayed"' in flow.come_back().content.decode()


def test_a_link_opened_twice_is_refused(flow):
    flow.ask()
    assert flow.open_link().status_code == 302

    again = flow.open_link()

    assert again.status_code == 410
    assert 'data-code="already_used"' in again.content.decode()


def test_a_replayed_callback_is_refused_and_changes_nothing(flow, transport):
    started(flow)
    assert flow.come_back().status_code == 200
    binding = IdentityBinding.objects.get(conversation=flow.conversation)
    calls = len(transport.calls)

    page = flow.come_back()

    assert page.status_code == 400
    assert 'data-code="replayed"' in page.content.decode()
    flow.request.refresh_from_db()
    assert flow.request.state == RequestState.COMPLETED
    assert (
        IdentityBinding.objects.get(conversation=flow.conversation).identified_at
        == binding.identified_at
    )
    assert len(transport.calls) == calls  # not even sent to the provider again


def test_a_state_nobody_issued_is_refused(flow):
    started(flow)
    params = query(flow.callback_url)
    forged = flow.callback_url.replace(params["state"], "x" + params["state"][1:])

    page = flow.come_back(url=forged)

    assert_refused(flow, page, FailureCode.STATE_MISMATCH)


def test_a_superseded_link_is_refused(flow):
    flow.ask()
    old_link = flow.link
    flow.ask()

    page = flow.browser.get(old_link)

    assert page.status_code == 410
    assert 'data-code="replaced"' in page.content.decode()


def test_a_conversation_closed_meanwhile_binds_nobody(flow, transport):
    started(flow)
    flow.conversation.status = "closed"
    flow.conversation.save(update_fields=["status"])

    assert_refused(flow, flow.come_back(), FailureCode.CONVERSATION_CLOSED)
    assert (
        "POST",
        "/identify/standin/token",
    ) not in transport.calls  # the code is not even redeemed


def test_a_conversation_closed_during_the_token_exchange_binds_nobody(flow, transport):
    started(flow)

    def close_meanwhile(status, body):
        flow.conversation.status = "closed"
        flow.conversation.save(update_fields=["status"])
        return status, body

    transport.on_token = close_meanwhile

    assert_refused(flow, flow.come_back(), FailureCode.CONVERSATION_CLOSED)


# --- the provider's answer ---------------------------------------------------------
def test_an_error_from_the_provider(flow):
    started(flow)
    state = query(flow.callback_url)["state"]

    page = flow.come_back(url=f"/identify/callback/?error=temporarily_unavailable&state={state}")

    assert_refused(flow, page, FailureCode.PROVIDER_ERROR)


@pytest.mark.parametrize("keep_body", [False, True], ids=["error body", "token-like body"])
def test_a_failing_token_endpoint(flow, transport, keep_body):
    """An error status is an error, whatever its body looks like."""
    started(flow)
    transport.on_token = lambda status, body: (
        500,
        body if keep_body else {"error": "server_error"},
    )

    assert_refused(flow, flow.come_back(), FailureCode.PROVIDER_ERROR)


def test_a_bad_signature(flow):
    started(flow)
    forger = RSAKey.generate_key(2048)

    def change(header, claims):
        # The provider's kid, someone else's key.
        return RSAKey.import_key({**forger.as_dict(private=True), "kid": header["kid"]})

    flow.tamper(change)

    assert_refused(flow, flow.come_back(), FailureCode.BAD_SIGNATURE)


def test_an_unsigned_token(flow):
    started(flow)
    flow.tamper(lambda header, claims: header.update(alg="none"))

    assert_refused(flow, flow.come_back(), FailureCode.BAD_SIGNATURE)


def test_a_token_signed_with_the_providers_public_key_as_an_hmac_secret(flow, transport):
    """The classic algorithm confusion: HS256 keyed with the RSA public key."""
    started(flow)

    def on_token(status, body):
        header, claims = open_id_token(body["id_token"])
        provider_key = server.signing_key("RS256")
        assert isinstance(provider_key, RSAKey)
        public_pem = provider_key.as_pem(private=False)
        header = {"alg": "HS256", "kid": header["kid"], "typ": "JWT"}
        signing_input = (
            server.b64url(json.dumps(header).encode())
            + "."
            + server.b64url(json.dumps(claims).encode())
        )
        signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
        signed = signing_input + "." + server.b64url(signature)
        body["id_token"] = server.encrypt_to_client(signed, client_keys().public_jwks)
        return status, body

    transport.on_token = on_token

    assert_refused(flow, flow.come_back(), FailureCode.BAD_SIGNATURE)


@pytest.mark.parametrize("header_name", ["jku", "x5u"])
def test_a_header_pointing_at_other_keys_is_ignored(flow, transport, header_name):
    started(flow)
    attacker = ECKey.generate_key("P-256", parameters={"kid": "attacker", "use": "sig"})
    where = "https://attacker.example/jwks.json"
    transport.served[where] = {"keys": [attacker.as_dict(private=False)]}

    def change(header, claims):
        header.update({"alg": "ES256", "kid": "attacker", header_name: where})
        return attacker

    flow.tamper(change)

    assert_refused(flow, flow.come_back(), FailureCode.BAD_SIGNATURE)
    assert ("GET", "/jwks.json") not in transport.calls


def test_the_wrong_audience(flow):
    started(flow)
    flow.tamper(lambda header, claims: claims.update(aud="another-service"))

    assert_refused(flow, flow.come_back(), FailureCode.WRONG_AUDIENCE)


def test_several_audiences_without_us_as_the_authorized_party(flow):
    started(flow)
    flow.tamper(lambda header, claims: claims.update(aud=[claims["aud"], "another-service"]))

    assert_refused(flow, flow.come_back(), FailureCode.WRONG_AUDIENCE)


def test_another_issuer(flow):
    started(flow)
    flow.tamper(lambda header, claims: claims.update(iss="https://other-provider.example"))

    assert_refused(flow, flow.come_back(), FailureCode.WRONG_ISSUER)


def test_another_issuer_in_the_callback(flow):
    """RFC 9207: an answer from a different provider (mix-up attack)."""
    started(flow)
    iss = query(flow.callback_url)["iss"]

    page = flow.come_back(url=path_of(flow.callback_url).replace("iss=", "iss=x"))

    assert iss
    assert_refused(flow, page, FailureCode.WRONG_ISSUER)


def test_an_expired_token(flow):
    started(flow)
    long_ago = int(time.time()) - 3600
    flow.tamper(
        lambda header, claims: claims.update(iat=long_ago - 300, nbf=long_ago - 300, exp=long_ago)
    )

    assert_refused(flow, flow.come_back(), FailureCode.TOKEN_EXPIRED)


def test_a_token_not_yet_valid(flow):
    started(flow)
    later = int(time.time()) + 3600
    flow.tamper(lambda header, claims: claims.update(nbf=later, exp=later + 300))

    assert_refused(flow, flow.come_back(), FailureCode.INVALID_TOKEN)


def test_a_nonce_mismatch(flow):
    started(flow)
    flow.tamper(lambda header, claims: claims.update(nonce="another-nonce"))

    assert_refused(flow, flow.come_back(), FailureCode.NONCE_MISMATCH)


@pytest.mark.parametrize("acr", [TEST_ACR, "http://ftn.ficora.fi/2017/loa1", None])
def test_a_level_too_low(flow, acr):
    started(flow)

    def change(header, claims):
        if acr is None:
            del claims["acr"]
        else:
            claims["acr"] = acr

    flow.tamper(change)

    page = flow.come_back()
    assert_refused(flow, page, FailureCode.LEVEL_TOO_LOW)
    assert "inte tillräckligt stark" in page.content.decode()


def test_the_test_level_where_settings_allow_it(flow, settings):
    settings.IDENTITY_ALLOW_TEST_LEVEL = True
    started(flow)
    flow.tamper(lambda header, claims: claims.update(acr=TEST_ACR))

    assert flow.come_back().status_code == 200
    assert IdentityBinding.objects.get(conversation=flow.conversation).level == "test"


def test_an_unencrypted_token(flow, transport):
    started(flow)

    def on_token(status, body):
        _header, claims = open_id_token(body["id_token"])
        body["id_token"] = server.sign(claims)
        return status, body

    transport.on_token = on_token

    assert_refused(flow, flow.come_back(), FailureCode.INVALID_TOKEN)


def test_an_invalid_identity_code_in_the_token(flow):
    started(flow)
    flow.tamper(lambda header, claims: claims.update(hetu="010280-952X"))

    assert_refused(flow, flow.come_back(), FailureCode.INVALID_TOKEN)


def test_an_id_token_is_accepted_once(flow):
    """Behind the one-time nonce, a replay cache of ID tokens: the same token
    presented again for the same pending secrets is refused."""
    from identity.providers.oidc import OIDCProvider, _Failed

    started(flow)
    flow.tamper(lambda header, claims: None)  # the provider's own token, kept by the test
    flow.request.refresh_from_db()
    stored = dict(flow.request.secrets)
    assert flow.come_back().status_code == 200
    provider = OIDCProvider()
    metadata = provider.metadata(stored["issuer"])

    with pytest.raises(_Failed) as refused:
        provider.validate_id_token(flow.tokens[0], metadata, stored, time.time())
    assert refused.value.failure.code == FailureCode.REPLAYED
