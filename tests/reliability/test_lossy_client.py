"""A resident on a lossy connection: the socket drops at random points, many
times, while both parties write. After each drop the client does what the
browser client does (static/js/chatsocket.js): reconnect, `sync` from the last
message it shows without a gap, send again what was not acknowledged. In the
end it shows exactly the server's history, in order, and every message it
wrote is stored exactly once."""

from __future__ import annotations

import random

import pytest
from channels.db import database_sync_to_async

from conversations import actions
from conversations.models import Message
from tests.conftest import Socket, resident_cookie, staff_cookie
from tests.factories import ConversationFactory, ServiceFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("channel_layer")]

DROPS = 12


class LossyResident:
    def __init__(self, cookie: bytes):
        self.cookie = cookie
        self.shown: dict[int, tuple[str, str]] = {}  # seq → (client_id, body)
        self.outbox: dict[str, str] = {}  # client_id → body, until acknowledged
        self.sock: Socket | None = None

    @property
    def contiguous(self) -> int:
        seq = 0
        while seq + 1 in self.shown:
            seq += 1
        return seq

    def take(self, frame: dict) -> None:
        if frame["type"] == "message.new":
            self.shown[frame["seq"]] = (frame["client_id"], frame["body"])
        elif frame["type"] == "message.ack":
            self.outbox.pop(frame["client_id"], None)

    async def connect(self) -> None:
        self.sock = Socket("/ws/v1/resident/", self.cookie)
        assert await self.sock.connect()
        assert (await self.sock.recv(5))["type"] == "hello"
        await self.sock.send({"type": "sync", "after_seq": self.contiguous})
        while (frame := await self.sock.recv(5))["type"] != "sync.done":
            self.take(frame)
        for client_id, body in list(self.outbox.items()):
            await self.sock.send({"type": "message.send", "client_id": client_id, "body": body})

    async def write(self, client_id: str, body: str) -> None:
        self.outbox[client_id] = body
        assert self.sock is not None
        await self.sock.send({"type": "message.send", "client_id": client_id, "body": body})

    async def read_some(self, rng: random.Random) -> None:
        """Take what has arrived, up to a random point: then the drop comes."""
        assert self.sock is not None
        for _ in range(rng.randint(0, 4)):
            if await self.sock.nothing(0.02):
                return
            self.take(await self.sock.recv(5))

    async def drop(self) -> None:
        assert self.sock is not None
        await self.sock.close()  # the frames on their way are lost with it

    async def settle(self) -> None:
        """Connected again, until everything sent is acknowledged and nothing more arrives."""
        await self.connect()
        assert self.sock is not None
        while self.outbox or not await self.sock.nothing(0.3):
            self.take(await self.sock.recv(5))


async def test_a_client_that_drops_many_times_ends_with_the_exact_history():
    rng = random.Random(20261125)  # a reproducible schedule of drops

    @database_sync_to_async
    def world():
        service = ServiceFactory()
        professional = UserFactory()
        service.professionals.add(professional)
        conversation = ConversationFactory(service=service)
        actions.claim_conversation(conversation_id=conversation.pk, professional=professional)
        return conversation, resident_cookie(conversation), staff_cookie(professional)

    conversation, resident_cookie_, staff_cookie_ = await world()
    staff = Socket("/ws/v1/staff/", staff_cookie_)
    assert await staff.connect()
    await staff.recv(5)
    resident = LossyResident(resident_cookie_)
    await resident.connect()
    written = 0
    for drop in range(DROPS):
        for _ in range(rng.randint(1, 3)):
            written += 1
            await staff.send(
                {
                    "type": "message.send",
                    "conversation": conversation.pk,
                    "client_id": f"staff-{written}",
                    "body": f"från yrkespersonen {written}",
                }
            )
        for n in range(rng.randint(0, 2)):
            await resident.write(f"resident-{drop}-{n}", f"från invånaren {drop}.{n}")
        await resident.read_some(rng)
        await resident.drop()
        await resident.connect()
    await resident.settle()
    await resident.drop()
    await staff.close()

    history = await database_sync_to_async(
        lambda: list(
            Message.objects.filter(conversation=conversation)
            .order_by("seq")
            .values_list("seq", "client_id", "body")
        )
    )()
    assert [seq for seq, _c, _b in history] == list(range(1, len(history) + 1))
    assert {seq: (c, b) for seq, c, b in history} == resident.shown
    client_ids = [c for _s, c, _b in history]
    assert len(client_ids) == len(set(client_ids)), "a message was stored twice"
    assert sum(c.startswith("staff-") for c in client_ids) == written
    assert not resident.outbox
