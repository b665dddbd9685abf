"""Nothing of a SAML message reaches the logs: not the message, the assertion,
the NameID, nor any attribute value, whether the identification succeeds, is
refused, or ends in single logout (pysaml2 itself logs all of these at DEBUG;
it is silenced)."""

from __future__ import annotations

import logging

import pytest

from tests.identity.conftest import path_of
from tests.identity.saml_support import tampering, xml_of

pytestmark = pytest.mark.django_db

SECRETS_OF_TESSA = ("010280-952L", "Testilä", "Tessa", "1980-02-01")


def _assert_clean(text: str, *values: str) -> None:
    for value in (*SECRETS_OF_TESSA, *values):
        assert value not in text
    for marker in (
        "<ns0:",
        "<saml",
        "Assertion",
        "SAMLResponse=",
        "SAMLRequest=",
        "urn:oid:1.2.246.21",
    ):
        assert marker not in text


def test_no_saml_message_or_attribute_in_the_logs(saml_flow, caplog):
    caplog.set_level(logging.DEBUG)
    assert saml_flow.identify().status_code == 200
    login = saml_flow.login
    message = saml_flow.post.saml_response
    assert caplog.records  # something was logged: the check below is not vacuous
    assert "identification request" in caplog.text
    _assert_clean(caplog.text, message[:40], login["name_id"], login["session_index"])

    # Single logout, both legs.
    to_idp = saml_flow.browser.post("/identify/saml/logout/")
    back = saml_flow.browser.get(path_of(to_idp["Location"]))
    saml_flow.browser.get(path_of(back["Location"]))
    _assert_clean(caplog.text, message[:40], login["name_id"], login["session_index"])


def test_no_saml_message_in_the_logs_when_refused(saml_flow, caplog):
    caplog.set_level(logging.DEBUG)

    def other_audience(arguments):
        arguments["assertion"].conditions.audience_restriction[0].audience[0].text = "urn:x"

    saml_flow.ask()
    saml_flow.open_link()
    with tampering(other_audience):
        saml_flow.choose()
    assert saml_flow.come_back().status_code == 400
    assert "SAML response refused" in caplog.text
    _assert_clean(caplog.text, saml_flow.post.saml_response[:40])
    assert xml_of(saml_flow.post.saml_response)[:60] not in caplog.text
