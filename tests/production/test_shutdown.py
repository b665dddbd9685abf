"""Graceful shutdown: SIGTERM closes every socket with 4001 ("reconnect, to
another server"); a message being handled is committed and acknowledged, any
other is neither stored nor acknowledged, so the client's resend after
reconnecting stores each exactly once."""

import asyncio
import signal

import pytest

from conversations import actions
from conversations.models import Message
from tests.conftest import resident_cookie, staff_cookie
from tests.factories import ConversationFactory, ServiceFactory, UserFactory
from tests.production.servers import Client

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

BURST = 40


async def _scenario(a, b, conversation_id, resident, professional):
    r = Client("resident")
    pro = Client("professional")
    await r.connect(a.port, "/ws/v1/resident/", resident)
    await r.sync(None, 0)
    await pro.connect(a.port, "/ws/v1/staff/", professional)
    await pro.sync(conversation_id, 0)
    ids = [f"m-{i}" for i in range(BURST)]
    for client_id in ids:
        await r.send({"type": "message.send", "client_id": client_id, "body": client_id})
    while len(r.acks) < 2:
        await r.recv()
    a.process.send_signal(signal.SIGTERM)
    codes = []
    for client in (r, pro):
        await client.drain()
        assert client.ws is not None
        codes.append(client.ws.close_code)
    acked_on_a = dict(r.acks)
    exit_code = await asyncio.to_thread(a.process.wait, 30)

    # Reconnect to the other server and send what was never acknowledged.
    await r.connect(b.port, "/ws/v1/resident/", resident)
    for client_id in ids:
        if client_id not in acked_on_a:
            await r.send({"type": "message.send", "client_id": client_id, "body": client_id})
    while not set(ids) <= set(r.acks):
        await r.recv()
    await r.close()
    return codes, exit_code, acked_on_a, dict(r.acks), ids


def _stored_while_draining(conversation_id) -> dict[str, int]:
    return dict(
        Message.objects.filter(conversation_id=conversation_id).values_list("client_id", "seq")
    )


def test_sigterm_closes_sockets_with_4001_and_loses_or_doubles_nothing(servers):
    service = ServiceFactory()
    user = UserFactory()
    service.professionals.add(user)
    conversation = ConversationFactory(service=service)
    actions.claim_conversation(conversation_id=conversation.pk, professional=user)
    a, b = servers.start(), servers.start()

    codes, exit_code, acked_on_a, acks, ids = asyncio.run(
        _scenario(
            a,
            b,
            conversation.pk,
            resident_cookie(conversation).decode(),
            staff_cookie(user).decode(),
        )
    )
    assert codes == [4001, 4001]
    assert exit_code == 0, a.log()[-2000:]
    assert len(acked_on_a) < BURST, "the signal came too late to test anything"
    stored = _stored_while_draining(conversation.pk)
    # Stored exactly once each, under the seq of its ack, with no gaps.
    assert set(stored) == set(ids)
    assert sorted(stored.values()) == list(range(1, BURST + 1))
    for client_id, ack in acks.items():
        assert stored[client_id] == ack["seq"]
    # Nothing the first server stored went unacknowledged: the resends all stored anew.
    assert not [a for cid, a in acks.items() if cid not in acked_on_a and a["duplicate"]]
