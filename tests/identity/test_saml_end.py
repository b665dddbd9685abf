"""'End and clear' ends the Suomi.fi session too: the local session ends first,
then (in a top-level page) the browser goes through single logout and lands on
the usual 'ended' page. In the framed widget the identity provider's page could
not be shown, so the browser goes straight to 'ended'."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from conversations.selectors import SESSION_KEY
from tests.identity.conftest import path_of

pytestmark = pytest.mark.django_db


def test_end_and_clear_logs_out_of_suomi_fi(saml_flow):
    assert saml_flow.identify().status_code == 200
    browser = saml_flow.browser
    ended = reverse("customers:ended")
    to_idp = browser.post(reverse("customers:end"), HTTP_SEC_FETCH_DEST="document")
    assert to_idp.status_code == 302
    assert urlsplit(to_idp["Location"]).path == "/identify/standin/saml/slo"
    # The local session ended before the identity provider was asked.
    assert SESSION_KEY not in browser.session
    assert saml_flow.login is None
    back = browser.get(path_of(to_idp["Location"]))
    done = browser.get(path_of(back["Location"]))
    assert done.status_code == 302 and done["Location"] == ended


def test_end_and_clear_in_the_widget_frame_skips_the_identity_provider(saml_flow):
    assert saml_flow.identify().status_code == 200
    response = saml_flow.browser.post(reverse("customers:end"), HTTP_SEC_FETCH_DEST="iframe")
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:ended")
    assert saml_flow.login is None


def test_end_and_clear_without_suomi_fi_is_unchanged(resident):
    response = resident.post(reverse("customers:end"))
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:ended")


def test_the_end_screen_offers_single_logout_after_the_professional_closes(saml_flow):
    """When the conversation ends (not by the resident), the end screen offers
    the Suomi.fi logout, in a new window: the identity provider refuses frames."""
    from conversations.actions import close_by_professional

    assert saml_flow.identify().status_code == 200
    close_by_professional(
        conversation_id=saml_flow.conversation.pk,
        professional=saml_flow.professional,
        reason="guidance-given",
    )
    page = saml_flow.browser.get(reverse("closing:after_chat")).content.decode()
    assert f'action="{reverse("identity:saml-logout")}" target="_blank"' in page
    to_idp = saml_flow.browser.post(reverse("identity:saml-logout"))
    assert to_idp.status_code == 302
    assert urlsplit(to_idp["Location"]).path == "/identify/standin/saml/slo"
    assert saml_flow.login is None


def test_the_end_screen_has_no_logout_without_suomi_fi(resident, active_conversation):
    from conversations.actions import close_by_professional

    close_by_professional(
        conversation_id=active_conversation.pk,
        professional=active_conversation.assigned_to,
        reason="guidance-given",
    )
    page = resident.get(reverse("closing:after_chat")).content.decode()
    assert reverse("identity:saml-logout") not in page
