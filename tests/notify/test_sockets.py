"""Through the real sockets: a professional claims on the staff socket; the
resident's page is, or is not, connected on the resident socket."""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from notify import sweeps
from notify.models import SmsKind, SmsNotice

pytestmark = [pytest.mark.django_db(transaction=True)]


async def claim_on_socket(pro_socket, conversation) -> None:
    await pro_socket.send({"type": "conversation.claim", "conversation": conversation.pk})
    while True:
        frame = await pro_socket.recv()
        assert frame["type"] != "error", frame
        if frame["type"] == "conversation.changed" and frame["change"] == "claimed":
            return


async def write_on_socket(pro_socket, conversation, client_id: str) -> None:
    await pro_socket.send(
        {
            "type": "message.send",
            "conversation": conversation.pk,
            "client_id": client_id,
            "body": "Hej, jag är här nu",
        }
    )
    await pro_socket.recv_until("message.ack")


@database_sync_to_async
def notices() -> list[str]:
    return list(SmsNotice.objects.values_list("kind", flat=True))


@database_sync_to_async
def sweep_a_minute_later() -> int:
    return sweeps.notify_after_disconnect(now=timezone.now() + timedelta(minutes=1))


async def test_a_claim_on_the_staff_socket_texts_a_resident_whose_page_is_closed(
    wanted, pro, http_sms, staff_socket
):
    pro_socket = await staff_socket(pro)
    await claim_on_socket(pro_socket, wanted)
    assert [i.body["to"] for i in http_sms.received] == ["+358401234567"]
    assert await notices() == [SmsKind.CLAIMED]


async def test_an_open_page_gets_no_text_and_a_page_gone_mid_chat_gets_one_when_written_to(
    wanted, pro, http_sms, staff_socket, resident_socket
):
    resident = await resident_socket(wanted)
    pro_socket = await staff_socket(pro)
    await claim_on_socket(pro_socket, wanted)
    await write_on_socket(pro_socket, wanted, "s1")
    assert await sweep_a_minute_later() == 0
    assert http_sms.received == []

    await resident.close()  # the phone's screen locks: the socket goes
    assert await sweep_a_minute_later() == 0  # nobody wrote since
    await write_on_socket(pro_socket, wanted, "s2")
    assert await sweep_a_minute_later() == 1
    await write_on_socket(pro_socket, wanted, "s3")
    assert await sweep_a_minute_later() == 0
    assert len(http_sms.received) == 1
    assert "har skrivit till dig" in http_sms.received[0].body["text"]
    assert await notices() == [SmsKind.MESSAGE]
