"""Our keys and the provider's: the published JWKS, configured keys, the
provider's key rotation, discovery that must name the right issuer, and the
in-process route to the stand-in that `make run` uses."""

import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from joserfc.jwk import KeySet, RSAKey

from identity import keys
from identity.models import IdentityBinding
from identity.standin import server

pytestmark = pytest.mark.django_db


def test_our_jwks_is_public_and_has_a_signing_and_an_encryption_key(client):
    response = client.get("/identify/jwks/")
    assert response.status_code == 200
    published = response.json()["keys"]
    assert {key["use"] for key in published} == {"sig", "enc"}
    for key in published:
        assert key["kid"] and key["kty"] == "RSA"
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)


def private_jwks(*specs):
    found = []
    for use, bits in specs:
        key = RSAKey.generate_key(bits, parameters={"use": use}, auto_kid=True)
        found.append(key)
    return json.dumps(KeySet(found).as_dict(private=True))


def test_configured_keys_are_used(settings):
    settings.IDENTITY_OIDC_CLIENT_JWKS = private_jwks(("sig", 2048), ("enc", 2048), ("enc", 2048))
    loaded = keys.client_keys()
    assert loaded.signing_alg == "RS256"
    assert len(loaded.decryption) == 2  # both encryption keys decrypt (rotation)
    assert len(loaded.public_jwks["keys"]) == 3


@pytest.mark.filterwarnings("ignore:Key size should be")
@pytest.mark.parametrize(
    ("specs", "problem"),
    [
        ((("sig", 1024), ("enc", 2048)), "at least 2048 bits"),
        ((("sig", 2048),), 'one "sig" and one "enc"'),
    ],
)
def test_weak_or_incomplete_keys_are_refused(settings, specs, problem):
    settings.IDENTITY_OIDC_CLIENT_JWKS = private_jwks(*specs)
    with pytest.raises(ImproperlyConfigured, match=problem):
        keys.client_keys()


def test_public_keys_alone_are_refused(settings):
    key = RSAKey.generate_key(2048, parameters={"use": "sig"}, auto_kid=True)
    settings.IDENTITY_OIDC_CLIENT_JWKS = json.dumps({"keys": [key.as_dict(private=False)]})
    with pytest.raises(ImproperlyConfigured, match="no private part"):
        keys.client_keys()


def test_production_needs_configured_keys(settings):
    settings.PRODUCTION = True
    with pytest.raises(ImproperlyConfigured, match="IDENTITY_OIDC_CLIENT_JWKS"):
        keys.client_keys()


def rotate_standin_keys(monkeypatch):
    fresh = KeySet(
        [RSAKey.generate_key(2048, parameters={"use": "sig", "alg": "RS256"}, auto_kid=True)]
    )
    monkeypatch.setattr(server, "standin_keys", lambda: fresh)


def test_a_token_signed_with_a_new_provider_key_fetches_the_keys_again(flow, monkeypatch, settings):
    settings.IDENTITY_OIDC_JWKS_REFRESH_SECONDS = 0
    flow.identify()  # the provider's keys are now cached
    rotate_standin_keys(monkeypatch)

    assert flow.identify().status_code == 200
    fetched = [path for _m, path in flow.transport.calls if path.endswith("/jwks")]
    assert len(fetched) == 2
    assert IdentityBinding.objects.get().request_id == flow.request.pk


def test_unknown_keys_are_fetched_again_at_most_so_often(flow, monkeypatch, settings):
    settings.IDENTITY_OIDC_JWKS_REFRESH_SECONDS = 3600
    flow.identify()
    rotate_standin_keys(monkeypatch)

    page = flow.identify()

    assert 'data-code="bad_signature"' in page.content.decode()
    assert len([p for _m, p in flow.transport.calls if p.endswith("/jwks")]) == 1


def test_discovery_for_another_issuer_is_not_trusted(flow, monkeypatch):
    real = server.discovery
    monkeypatch.setattr(
        server, "discovery", lambda issuer: {**real(issuer), "issuer": "https://evil.example"}
    )
    flow.ask()

    page = flow.open_link()

    assert page.status_code == 503
    assert 'data-code="unavailable"' in page.content.decode()
    flow.request.refresh_from_db()
    assert flow.request.state == "requested"  # the link can be tried again


def test_make_run_reaches_the_stand_in_inside_the_process(flow, settings):
    """The default client serves the stand-in's back channel in-process (no HTTP
    to itself), through the same functions as the stand-in's views."""
    settings.IDENTITY_HTTP_CLIENT = "identity.providers.http.default_client"

    assert flow.identify().status_code == 200
    assert IdentityBinding.objects.filter(conversation=flow.conversation).exists()
    assert flow.transport.calls == []


def test_only_https_leaves_the_process_in_production(settings):
    from identity.providers.http import HttpError, UrllibClient

    settings.PRODUCTION = True
    with pytest.raises(HttpError, match="refusing a http URL"):
        UrllibClient().get("http://provider.example/.well-known/openid-configuration")


def test_the_deploy_check_opens_the_keys(settings):
    from django.core import checks

    settings.IDENTITY_OIDC_CLIENT_JWKS = '{"keys": []}'
    settings.IDENTITY_HETU_KEYS = ["not-a-fernet-key"]

    found = {e.id for e in checks.run_checks(include_deployment_checks=True, tags=["security"])}

    assert {"identity.E001", "identity.E002"} <= found
