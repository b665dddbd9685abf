"""The stand-in provider refuses what a strict FTN provider refuses, so that the
relying party cannot come to depend on leniency. Requests are made by the test
with our real keys, then spoiled one thing at a time."""

import json
import time
from urllib.parse import urlencode

import pytest
from django.test import Client
from joserfc import jwt
from joserfc.jwk import RSAKey

from identity.keys import client_keys
from identity.providers.base import Site
from identity.providers.oidc import CLIENT_ASSERTION_TYPE, OIDCProvider
from identity.standin import server
from tests.identity.conftest import path_of, query

pytestmark = pytest.mark.django_db

ISSUER = "http://testserver/identify/standin"
TOKEN_ENDPOINT = ISSUER + "/token"


def signed_by_us(claims, **header):
    keys = client_keys()
    return jwt.encode(
        {"alg": keys.signing_alg, "kid": keys.signing.kid, **header},
        claims,
        keys.signing,
        algorithms=[keys.signing_alg],
    )


def read(token):
    return jwt.decode(token, client_keys().signing, algorithms=[client_keys().signing_alg]).claims


@pytest.fixture
def authorization():
    """A valid authorization request as our relying party makes it: (query, claims)."""
    handoff = OIDCProvider().start(site=Site("http://testserver"), language="sv")
    params = query(handoff.redirect_url)
    return params, dict(read(params["request"]))


def authorize(client, params):
    return client.get("/identify/standin/authorize?" + urlencode(params))


def test_a_valid_request_shows_the_choice(client, authorization):
    params, _claims = authorization
    page = authorize(client, params)
    assert page.status_code == 200
    assert "Testbank" in page.content.decode()


def test_the_stand_in_is_gone_when_disabled(client, settings, authorization):
    settings.IDENTITY_STANDIN_ENABLED = False
    for path in ("/identify/standin/.well-known/openid-configuration", "/identify/standin/jwks"):
        assert client.get(path).status_code == 404
    assert authorize(client, authorization[0]).status_code == 404
    assert client.post("/identify/standin/token").status_code == 404


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda p, c: p.pop("request"), id="no request object"),
        pytest.param(lambda p, c: p.update(request_uri="https://x.example/r"), id="request_uri"),
        pytest.param(lambda p, c: p.update(client_id="someone"), id="unknown client"),
        pytest.param(lambda p, c: c.update(aud="https://other.example"), id="aud"),
        pytest.param(lambda p, c: c.update(iss="someone"), id="iss"),
        pytest.param(lambda p, c: c.update(exp=int(time.time()) - 600), id="expired"),
        pytest.param(lambda p, c: c.pop("exp"), id="no exp"),
        pytest.param(
            lambda p, c: c.update(redirect_uri="http://testserver/elsewhere/"), id="redirect_uri"
        ),
        pytest.param(lambda p, c: c.update(client_id="someone"), id="client_id in object"),
    ],
)
def test_requests_refused_without_a_redirect(client, authorization, spoil):
    params, claims = authorization
    spoil(params, claims)
    if "request" in params:
        params["request"] = signed_by_us(claims, typ="oauth-authz-req+jwt")

    page = authorize(client, params)

    assert page.status_code == 400
    assert "Location" not in page


def test_an_unsigned_request_object_is_refused(client, authorization):
    params, claims = authorization
    header = server.b64url(b'{"alg":"none","typ":"oauth-authz-req+jwt"}')
    params["request"] = f"{header}.{server.b64url(json.dumps(claims).encode())}."
    assert authorize(client, params).status_code == 400


def test_a_request_object_signed_by_another_key_is_refused(client, authorization):
    params, claims = authorization
    other = RSAKey.generate_key(2048, parameters={"kid": client_keys().signing.kid})
    params["request"] = jwt.encode(
        {"alg": "RS256", "kid": other.kid}, claims, other, algorithms=["RS256"]
    )
    assert authorize(client, params).status_code == 400


@pytest.mark.parametrize(
    ("spoil", "error"),
    [
        (lambda p, c: c.pop("code_challenge"), "invalid_request"),
        (lambda p, c: c.update(code_challenge_method="plain"), "invalid_request"),
        (lambda p, c: c.pop("nonce"), "invalid_request"),
        (lambda p, c: c.pop("state"), "invalid_request"),
        (lambda p, c: c.update(response_type="token"), "unsupported_response_type"),
        (lambda p, c: p.update(scope="openid profile email"), "invalid_scope"),
        (lambda p, c: c.update(scope="profile"), "invalid_scope"),
        (lambda p, c: c.update(acr_values="http://ftn.ficora.fi/2017/loa1"), "invalid_request"),
    ],
)
def test_requests_refused_back_to_the_client(client, authorization, spoil, error):
    params, claims = authorization
    spoil(params, claims)
    if claims.get("scope") == "profile":
        params["scope"] = "profile"
    params["request"] = signed_by_us(claims, typ="oauth-authz-req+jwt")

    page = authorize(client, params)

    assert page.status_code == 302
    assert page["Location"].startswith("http://testserver/identify/callback/?")
    assert query(page["Location"])["error"] == error


# --- the token endpoint ----------------------------------------------------------------
@pytest.fixture
def code(flow):
    """A fresh code for the flow's request, and what redeeming it needs."""
    flow.ask()
    flow.open_link()
    flow.choose()
    flow.request.refresh_from_db()
    return {
        "grant_type": "authorization_code",
        "code": query(flow.callback_url)["code"],
        "redirect_uri": flow.request.secrets["redirect_uri"],
        "code_verifier": flow.request.secrets["code_verifier"],
        "client_id": "chatservice-dev",
    }


def assertion(**changes):
    now = int(time.time())
    claims = {
        "iss": "chatservice-dev",
        "sub": "chatservice-dev",
        "aud": TOKEN_ENDPOINT,
        "jti": f"jti-{time.monotonic_ns()}",
        "iat": now,
        "exp": now + 60,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def redeem(form, claims=None, *, key=None, content_type="application/x-www-form-urlencoded"):
    form = dict(form)
    if claims is not False:
        keys = client_keys()
        signer = key or keys.signing
        form["client_assertion_type"] = CLIENT_ASSERTION_TYPE
        form["client_assertion"] = jwt.encode(
            {"alg": "RS256", "kid": keys.signing.kid},
            claims or assertion(),
            signer,
            algorithms=["RS256"],
        )
    if content_type == "multipart/form-data":
        return Client().post("/identify/standin/token", form)
    return Client().post("/identify/standin/token", urlencode(form), content_type=content_type)


def test_a_code_is_redeemed_with_private_key_jwt_and_pkce(code):
    response = redeem(code)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["id_token"].count(".") == 4  # encrypted
    assert response["Cache-Control"] == "no-store"


def test_the_issuer_is_also_an_accepted_assertion_audience(code):
    assert redeem(code, assertion(aud=ISSUER)).status_code == 200


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param(False, id="no client assertion"),
        pytest.param(assertion(aud="https://other.example/token"), id="aud"),
        pytest.param(assertion(aud=[TOKEN_ENDPOINT, "https://other.example"]), id="aud list"),
        pytest.param(assertion(iss="someone"), id="iss"),
        pytest.param(assertion(sub="someone"), id="sub"),
        pytest.param(assertion(exp=int(time.time()) - 600), id="expired"),
        pytest.param(assertion(exp=int(time.time()) + 3600), id="lives too long"),
        pytest.param(assertion(jti=None), id="no jti"),
    ],
)
def test_client_authentication_is_strict(code, claims):
    response = redeem(code, claims)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_an_assertion_signed_by_another_key_is_refused(code):
    other = RSAKey.generate_key(2048)
    assert redeem(code, key=other).status_code == 401


def test_an_assertion_works_once(code):
    claims = assertion()
    first = redeem({**code, "code": "not-a-code"}, claims)
    assert first.json()["error"] == "invalid_grant"  # authenticated, then refused the code
    assert redeem(code, claims).status_code == 401


def test_a_code_works_once(code):
    assert redeem(code).status_code == 200
    again = redeem(code)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "change",
    [
        {"code_verifier": "x" * 64},
        {"code_verifier": ""},
        {"redirect_uri": "http://testserver/elsewhere/"},
    ],
)
def test_the_code_needs_its_verifier_and_redirect_uri(code, change):
    response = redeem({**code, **change})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_only_form_encoded_token_requests(code):
    assert redeem(code, content_type="multipart/form-data").status_code == 400


def test_the_choice_cannot_be_submitted_twice(flow):
    flow.ask()
    flow.open_link()
    page = flow.browser.get(path_of(flow.authorize_url))
    transaction = page.content.decode().split('name="transaction" value="')[1].split('"')[0]
    choice = {
        "transaction": transaction,
        "person": "tessa",
        "method": "testbank",
        "action": "identify",
    }
    path = "/identify/standin/authorize"
    assert flow.browser.post(path, choice).status_code == 302
    assert flow.browser.post(path, choice).status_code == 400
