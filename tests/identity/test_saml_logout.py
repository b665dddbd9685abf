"""Single logout both ways, through HTTP against the stand-in identity provider:
the resident logs out (our LogoutRequest, its LogoutResponse), and the identity
provider logs the person out (its LogoutRequest, our LogoutResponse), each
signed and checked; the logout endpoint may be framed by the identity provider
only."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from identity.saml import config, sessions
from identity.standin import saml_idp
from tests.identity.conftest import path_of
from tests.identity.saml_support import SITE

pytestmark = pytest.mark.django_db


def _identified(flow) -> dict[str, str]:
    assert flow.identify().status_code == 200
    login = flow.login
    assert login is not None
    return login


def test_the_resident_logs_out_of_suomi_fi(saml_flow):
    _identified(saml_flow)
    browser = saml_flow.browser
    to_idp = browser.post("/identify/saml/logout/")
    assert to_idp.status_code == 302
    # Local logout first: the login is gone before the identity provider is asked.
    assert saml_flow.login is None
    url = to_idp["Location"]
    assert urlsplit(url).path == "/identify/standin/saml/slo"
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert {"SAMLRequest", "RelayState", "SigAlg", "Signature"} <= set(query)
    assert "/" not in query["RelayState"]

    back = browser.get(path_of(url))  # the stand-in verifies and answers
    assert back.status_code == 302
    assert urlsplit(back["Location"]).path == "/identify/saml/slo/"
    done = browser.get(path_of(back["Location"]))
    assert done.status_code == 302
    assert done["Location"] == "/identify/saml/logged-out/"
    assert browser.get(done["Location"]).status_code == 200
    # The identity provider's answer is consumed once.
    assert browser.get(path_of(back["Location"])).status_code == 400


def test_a_logout_response_nobody_asked_for_is_refused(saml_flow):
    _identified(saml_flow)
    to_idp = saml_flow.browser.post("/identify/saml/logout/")
    back = saml_flow.browser.get(path_of(to_idp["Location"]))
    forged = back["Location"].replace("RelayState=", "RelayState=other")
    assert saml_flow.browser.get(path_of(forged)).status_code == 400


def test_the_identity_provider_logs_the_person_out(saml_flow):
    login = _identified(saml_flow)
    url = saml_idp.logout_request_url(
        SITE,
        sp_entity_id=config.service_provider(SITE).entity_id,
        name_id=login["name_id"],
        session_index=login["session_index"],
    )
    # The request arrives in the identity provider's frame: without our cookies.
    framed = Client()
    answer = framed.get(path_of(url))
    assert answer.status_code == 302, answer.content
    policy = answer["Content-Security-Policy"]
    assert "frame-ancestors http://testserver" in policy
    assert "X-Frame-Options" not in answer
    # The person's login is forgotten in the resident's own session.
    assert saml_flow.login is None
    # Our answer is a signed LogoutResponse the identity provider accepts.
    reply = answer["Location"]
    assert urlsplit(reply).path == "/identify/standin/saml/slo"
    query = {k: v[0] for k, v in parse_qs(urlsplit(reply).query).items()}
    assert {"SAMLResponse", "SigAlg", "Signature"} <= set(query)
    idp = saml_idp.server(SITE)
    from identity.saml import constants as c

    parsed = idp.parse_logout_request_response(query["SAMLResponse"], c.BINDING_HTTP_REDIRECT)
    assert parsed.response.status.status_code.value == c.STATUS_SUCCESS


def test_a_logout_request_with_a_bad_signature_changes_nothing(saml_flow):
    login = _identified(saml_flow)
    url = saml_idp.logout_request_url(
        SITE,
        sp_entity_id=config.service_provider(SITE).entity_id,
        name_id=login["name_id"],
        session_index=login["session_index"],
        relay_state="abc",
    )
    forged = url.replace("RelayState=abc", "RelayState=abd")
    answer = Client().get(path_of(forged))
    assert answer.status_code == 400
    assert saml_flow.login == login


def test_a_logout_request_without_a_signature_changes_nothing(saml_flow):
    login = _identified(saml_flow)
    url = saml_idp.logout_request_url(
        SITE,
        sp_entity_id=config.service_provider(SITE).entity_id,
        name_id=login["name_id"],
        session_index=login["session_index"],
    )
    parts = urlsplit(url)
    unsigned = "&".join(
        p for p in parts.query.split("&") if not p.startswith(("Signature=", "SigAlg="))
    )
    assert Client().get(f"{parts.path}?{unsigned}").status_code == 400
    assert saml_flow.login == login


def test_a_logout_request_for_another_session_index_changes_nothing(saml_flow):
    login = _identified(saml_flow)
    url = saml_idp.logout_request_url(
        SITE,
        sp_entity_id=config.service_provider(SITE).entity_id,
        name_id=login["name_id"],
        session_index="_another",
    )
    assert Client().get(path_of(url)).status_code == 302  # answered: nothing of it here
    assert saml_flow.login == login


def test_the_logout_endpoint_may_be_framed_only_by_configured_origins(saml, client, settings):
    settings.IDENTITY_SAML_IDP_ORIGINS = ["https://testi.apro.tunnistus.fi"]
    response = client.get("/identify/saml/slo/")
    assert response.status_code == 400
    assert response["Content-Security-Policy"].endswith(
        "frame-ancestors https://testi.apro.tunnistus.fi"
    )
    # Every other page of ours is framed by nobody.
    assert (
        "frame-ancestors 'none'"
        in client.get("/identify/saml/logged-out/")["Content-Security-Policy"]
    )


def test_logging_out_without_a_login_just_says_so(saml, client):
    response = client.post("/identify/saml/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/identify/saml/logged-out/"
    assert sessions.current(client.session) is None
