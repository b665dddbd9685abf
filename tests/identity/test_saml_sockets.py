"""The SAML handoff live on both sockets: the professional asks, the resident
identifies at the stand-in SAML identity provider over HTTP, and both sockets
see the outcome, exactly as with the OpenID provider (the handoff is the
provider-independent identity.actions)."""

from __future__ import annotations

import logging

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async

from identity.models import IdentificationRequest, RequestState
from tests.identity.saml_support import SamlFlow

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("channel_layer")]


async def test_a_saml_identification_is_seen_live_by_both_parties(
    saml_flow: SamlFlow, resident_socket, staff_socket, caplog
):
    caplog.set_level(logging.DEBUG)
    flow = saml_flow
    resident = await resident_socket(flow.conversation)
    staff = await staff_socket(flow.professional)

    await staff.send({"type": "identification.request", "conversation": flow.conversation.pk})
    assert (await staff.recv_until("conversation.changed"))["change"] == "identification_requested"
    flow.request = await database_sync_to_async(IdentificationRequest.objects.get)(
        conversation=flow.conversation, state=RequestState.REQUESTED
    )
    assert (await resident.recv_until("identification.state"))["identification"][
        "link"
    ] == flow.link

    assert (await sync_to_async(flow.open_link)()).status_code == 302
    started = await resident.recv_until("identification.state")
    assert started["identification"]["state"] == "started"
    assert (await staff.recv_until("conversation.changed"))["change"] == "identification_started"

    await sync_to_async(flow.choose)(person="tessa", method="mobile")
    page = await sync_to_async(flow.come_back)()
    assert page.status_code == 200

    done = await resident.recv_until("identification.state")
    assert done["identification"]["state"] == "completed"
    assert done["identification"]["identified"] is True
    changed = await staff.recv_until("conversation.changed")
    assert changed["change"] == "identification_completed"
    verified = await staff.recv_until("identity.verified")
    assert verified["person"]["family_name"] == "Testilä"
    assert verified["person"]["level"] == "high"
    assert verified["person"]["provider"] == "saml"
    assert verified["person"]["has_identity_code"] is True
    assert await resident.nothing()
    assert "010280-952L" not in caplog.text and "Testilä" not in caplog.text
