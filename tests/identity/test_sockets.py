"""The handoff live on both sockets: the professional asks over their socket, the
resident's socket gets the link, the browser identifies at the stand-in over
HTTP, and both sockets see the outcome; the identity code only through an
audited `identity.reveal`, to the one socket that asked."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.utils import timezone

from conversations.models import AuditAction, AuditEntry, ConversationEvent, EventKind
from identity import actions
from identity.models import IdentificationRequest, RequestState
from tests.identity.conftest import Flow

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("channel_layer")]

HETU = "010280-952L"


async def _sockets(flow: Flow, resident_socket, staff_socket):
    resident = await resident_socket(flow.conversation)
    staff = await staff_socket(flow.professional)
    return resident, staff


async def _ask(flow: Flow, staff) -> None:
    await staff.send({"type": "identification.request", "conversation": flow.conversation.pk})
    changed = await staff.recv_until("conversation.changed")
    assert changed["change"] == "identification_requested"
    assert changed["conversation"]["identification"] == "requested"
    assert changed["conversation"]["identified"] is False
    flow.request = await database_sync_to_async(IdentificationRequest.objects.get)(
        conversation=flow.conversation, state=RequestState.REQUESTED
    )


async def test_the_whole_handoff_is_seen_live_by_both_parties(
    flow, resident_socket, staff_socket, caplog
):
    caplog.set_level(logging.DEBUG)
    resident, staff = await _sockets(flow, resident_socket, staff_socket)
    assert resident.hello["conversation"]["identification"]["state"] == ""

    await _ask(flow, staff)
    requested = await resident.recv_until("identification.state")
    state = requested["identification"]
    assert state["state"] == "requested"
    assert state["link"] == flow.link
    assert state["expires"] == flow.request.expires_at.isoformat()
    assert "new window" in state["message"] or "nytt fönster" in state["message"]

    assert (await sync_to_async(flow.open_link)()).status_code == 302
    started = await resident.recv_until("identification.state")
    assert started["identification"]["state"] == "started"
    assert started["identification"]["link"] == ""  # used: nothing to open again
    assert (await staff.recv_until("conversation.changed"))["change"] == "identification_started"

    await sync_to_async(flow.choose)(person="tessa", method="mobile")
    page = await sync_to_async(flow.come_back)()
    assert page.status_code == 200

    done = await resident.recv_until("identification.state")
    assert done["identification"]["state"] == "completed"
    assert done["identification"]["identified"] is True
    changed = await staff.recv_until("conversation.changed")
    assert changed["change"] == "identification_completed"
    assert changed["conversation"]["identified"] is True
    verified = await staff.recv_until("identity.verified")
    assert verified["person"] == {
        "given_names": "Tessa",
        "family_name": "Testilä",
        "birth_date": "1980-02-01",
        "level": "high",
        "provider": "oidc",
        "identified_at": verified["person"]["identified_at"],
        "has_identity_code": True,
    }
    # The resident's socket never hears who the person is, nor any identity code.
    assert await resident.nothing()

    # The professional reveals the code: to this socket only, audited.
    await staff.send({"type": "identity.reveal", "conversation": flow.conversation.pk})
    revealed = await staff.recv_until("identity.revealed")
    assert revealed == {
        "type": "identity.revealed",
        "conversation": flow.conversation.pk,
        "identity_code": HETU,
    }
    audit = await database_sync_to_async(
        lambda: list(AuditEntry.objects.filter(action=AuditAction.REVEAL_IDENTITY))
    )()
    assert [(a.user_id, a.conversation_id) for a in audit] == [
        (flow.professional.pk, flow.conversation.pk)
    ]
    assert HETU not in caplog.text and "Testilä" not in caplog.text


async def test_a_resident_who_reconnects_still_gets_the_link(flow, resident_socket, staff_socket):
    resident, staff = await _sockets(flow, resident_socket, staff_socket)
    await _ask(flow, staff)
    await resident.close()
    again = await resident_socket(flow.conversation)
    state = again.hello["conversation"]["identification"]
    assert (state["state"], state["link"]) == ("requested", flow.link)
    assert state["message"]


async def test_the_details_of_an_identified_conversation_name_the_person(
    flow, resident_socket, staff_socket
):
    await sync_to_async(flow.identify)(person="tessa")
    staff = await staff_socket(flow.professional)
    await staff.send({"type": "conversation.open", "conversation": flow.conversation.pk})
    detail = await staff.recv_until("conversation.detail")
    assert detail["person"]["family_name"] == "Testilä"
    assert detail["conversation"]["identified"] is True
    assert HETU not in str(detail)


async def test_a_failure_reaches_both_parties_in_plain_words(flow, resident_socket, staff_socket):
    resident, staff = await _sockets(flow, resident_socket, staff_socket)
    await _ask(flow, staff)
    await sync_to_async(flow.open_link)()
    await sync_to_async(flow.choose)(action="cancel")
    await sync_to_async(flow.come_back)()
    state = None
    while state is None or state["state"] in ("requested", "started"):
        state = (await resident.recv_until("identification.state"))["identification"]
    assert (state["state"], state["failure"], state["identified"]) == (
        "cancelled",
        "cancelled",
        False,
    )
    assert "cancelled" in state["message"] or "avbröt" in state["message"]
    change = None
    while change is None or change["change"] != "identification_cancelled":
        change = await staff.recv_until("conversation.changed")
    assert change["conversation"]["identification_failure"] == "cancelled"


async def test_the_sweep_expires_a_request_and_both_parties_see_it(
    flow, resident_socket, staff_socket
):
    resident, staff = await _sockets(flow, resident_socket, staff_socket)
    await _ask(flow, staff)
    await resident.recv_until("identification.state")
    later = timezone.now() + timedelta(minutes=11)
    assert await database_sync_to_async(actions.expire_identification_requests)(now=later) == 1
    expired = await resident.recv_until("identification.state")
    assert expired["identification"]["state"] == "expired"
    assert expired["identification"]["link"] == ""
    assert (await staff.recv_until("conversation.changed"))["change"] == "identification_expired"
    kinds = await database_sync_to_async(
        lambda: list(
            ConversationEvent.objects.filter(conversation=flow.conversation).values_list(
                "kind", flat=True
            )
        )
    )()
    assert EventKind.IDENTIFICATION_EXPIRED in kinds


async def test_reveal_is_refused_without_an_identity_code(flow, resident_socket, staff_socket):
    await sync_to_async(flow.ask)()
    await sync_to_async(flow.open_link)()
    await sync_to_async(flow.choose)(action="eidas")
    await sync_to_async(flow.come_back)()
    staff = await staff_socket(flow.professional)
    await staff.send({"type": "identity.reveal", "conversation": flow.conversation.pk})
    error = await staff.recv_until("error")
    assert error["code"] == "no_identity_code"
    assert not await database_sync_to_async(
        AuditEntry.objects.filter(action=AuditAction.REVEAL_IDENTITY).exists
    )()
