"""Two server processes share conversations through Redis and survive the loss of one.

Real daphne processes on two loopback ports with the Redis channel layer and
PostgreSQL: the resident is on one, the professional on the other. Everything
that must cross between them does; then the resident's server is killed
(SIGKILL) mid-conversation, the resident reconnects to the other one, resends
what was never acknowledged and replays what it missed: every message is stored
exactly once, each conversation's seq has no gaps, nobody gets a message twice
on one socket, and nothing is missing."""

import asyncio
import signal

import pytest
from django.conf import settings

from conversations.models import Conversation, ConversationStatus, Message
from staff.models import CloseReasonOption
from tests.conftest import staff_cookie
from tests.factories import ServiceFactory, UserFactory
from tests.production.servers import Browser, Client

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

BURST = 12


def _start_chat(base: str, slug: str, n: int) -> str:
    browser = Browser(base)
    browser.start_chat(slug, name=f"Resident {n}", phone=f"040 123 456{n}", matter=f"Matter {n}")
    return browser.cookie_header()


async def _scenario(a, b, *, service, professional_cookie):
    pro = Client("professional")
    r1, r2 = Client("resident 1"), Client("resident 2")
    try:
        hello = await pro.connect(b.port, "/ws/v1/staff/", professional_cookie)
        assert hello["queue"] == []

        # Intake on A: the queue update reaches the professional on B.
        cookie1 = await asyncio.to_thread(_start_chat, a.base, service.slug, 1)
        created = await pro.recv_until("conversation.changed", change="created")
        c1 = created["conversation"]["id"]
        await r1.connect(a.port, "/ws/v1/resident/", cookie1)
        await r1.sync(None, r1.hello["conversation"]["last_seq"])

        cookie2 = await asyncio.to_thread(_start_chat, a.base, service.slug, 2)
        c2 = (await pro.recv_until("conversation.changed", change="created"))["conversation"]["id"]
        await r2.connect(a.port, "/ws/v1/resident/", cookie2)
        await r2.sync(None, r2.hello["conversation"]["last_seq"])
        assert r2.hello["conversation"]["position"] == 2

        # Claim on B: resident 1 on A hears it, resident 2 on A moves up the queue.
        await pro.send({"type": "conversation.claim", "conversation": c1})
        await pro.recv_until("conversation.changed", change="claimed")
        state = await r1.recv_until("conversation.state", change="claimed")
        assert state["status"] == "active"
        assert (await r2.recv_until("queue.position"))["position"] == 1
        await pro.sync(c1, 0)

        # Typing, both ways.
        await r1.send({"type": "typing.start"})
        typing = await pro.recv_until("typing", conversation=c1)
        assert (typing["author_kind"], typing["active"]) == ("resident", True)
        await pro.send({"type": "typing.start", "conversation": c1})
        assert (await r1.recv_until("typing"))["author_kind"] == "staff"

        # Messages, both ways (each party also gets its own as message.new).
        await r1.send({"type": "message.send", "client_id": "r1-1", "body": "hello from A"})
        assert (await r1.recv_until("message.ack"))["seq"] == 1
        got = await pro.recv_until("message.new", conversation=c1)
        assert (got["seq"], got["body"]) == (1, "hello from A")
        await pro.send(
            {"type": "message.send", "client_id": "p-1", "conversation": c1, "body": "hi from B"}
        )
        assert (await r1.recv_until("message.new", seq=2))["body"] == "hi from B"
        await r1.send({"type": "message.received", "seq": 2})
        assert (await pro.recv_until("message.delivered", conversation=c1))["seq"] == 2

        # Identification (a later feature's frames): requested on B, the link on A.
        await pro.send({"type": "identification.request", "conversation": c1})
        await pro.recv_until("conversation.changed", change="identification_requested")
        state = await r1.recv_until("identification.state")
        assert state["identification"]["state"] == "requested" and state["identification"]["link"]

        # Video: asked on B, allowed on A; joins and signals cross between the two.
        await pro.send({"type": "video.request", "conversation": c1})
        assert (await r1.recv_until("video.state"))["state"] == "requested"
        await r1.send({"type": "video.answer", "allow": True})
        assert (await pro.recv_until("video.state", state="accepted"))["conversation"] == c1
        await pro.send({"type": "video.join", "conversation": c1})
        await pro.recv_until("video.config")
        assert (await r1.recv_until("video.signal"))["kind"] == "joined"
        await r1.send({"type": "video.join"})
        await r1.recv_until("video.config")
        await pro.recv_until("video.signal", kind="joined")
        await r1.send({"type": "video.signal", "kind": "offer", "sdp": "v=0\r\n"})
        offer = await pro.recv_until("video.signal", kind="offer")
        assert (offer["conversation"], offer["sdp"]) == (c1, "v=0\r\n")
        await pro.send(
            {"type": "video.signal", "conversation": c1, "kind": "answer", "sdp": "v=0\r\n"}
        )
        assert (await r1.recv_until("video.signal", kind="answer"))["sdp"] == "v=0\r\n"

        # Close on B: the resident on A hears it (and the call ends with it).
        await pro.send({"type": "conversation.close", "conversation": c1, "reason": "done"})
        await pro.recv_until("conversation.changed", change="closed")
        seen: dict[str, dict] = {}
        while len(seen) < 2:
            frame = await r1.recv()
            if frame["type"] == "conversation.state" and frame["change"] == "closed":
                seen["closed"] = frame
            elif frame["type"] == "video.state" and frame["state"] == "ended":
                seen["call"] = frame
        assert seen["closed"]["status"] == "closed"
        assert seen["call"]["end_reason"] == "conversation_closed"

        # --- Fail-over. The professional takes resident 2; both write at once and
        # the resident's server dies in the middle.
        await pro.send({"type": "conversation.claim", "conversation": c2})
        await pro.recv_until("conversation.changed", change="claimed")
        await r2.recv_until("conversation.state", change="claimed")
        await pro.sync(c2, 0)

        sent_by_resident = [f"r2-{i}" for i in range(BURST)]
        for client_id in sent_by_resident:
            await r2.send({"type": "message.send", "client_id": client_id, "body": client_id})
        for i in range(BURST // 2):
            await pro.send(
                {"type": "message.send", "client_id": f"p2-{i}", "conversation": c2, "body": "x"}
            )
        # Some acknowledged, some not: kill the resident's server now.
        while len(r2.acks) < 3:
            await r2.recv()
        a.process.send_signal(signal.SIGKILL)
        await r2.drain()
        acked_before = dict(r2.acks)
        assert len(acked_before) < BURST, "the kill came too late to test anything"

        # Reconnect to B, replay from the last seq shown, resend what was never acked.
        shown = sorted(set(r2.seqs.get(c2, [])))
        contiguous = 0
        while contiguous + 1 in shown:
            contiguous += 1
        first_socket_seqs = list(r2.seqs.get(c2, []))
        r2.seqs = {}
        hello = await r2.connect(b.port, "/ws/v1/resident/", cookie2)
        assert hello["conversation"]["status"] == "active"
        await r2.sync(None, contiguous)
        for client_id in sent_by_resident:
            if client_id not in acked_before:
                await r2.send({"type": "message.send", "client_id": client_id, "body": client_id})
        while not set(sent_by_resident) <= set(r2.acks):
            await r2.recv()
        # One more message from the professional after everything: delivered live.
        await pro.send(
            {"type": "message.send", "client_id": "p2-last", "conversation": c2, "body": "end"}
        )
        last = (await pro.recv_until("message.ack", client_id="p2-last"))["seq"]
        await r2.recv_until("message.new", seq=last)
        while max(pro.seqs.get(c2, [0])) < last:
            await pro.recv()
        return c1, c2, r2, pro, first_socket_seqs, contiguous, acked_before, last
    finally:
        for client in (pro, r1, r2):
            await client.close()


def professional_email(servers) -> str:
    return servers.professional_email


def test_two_processes_share_conversations_and_survive_losing_one(servers):
    service = ServiceFactory()
    professional = UserFactory()
    servers.professional_email = professional.email
    service.professionals.add(professional)
    CloseReasonOption.objects.create(
        code="done", label_sv="Klar", label_fi="Valmis", label_en="Done"
    )
    a, b = servers.start(), servers.start()
    assert settings.CHANNEL_LAYER_BACKEND == "pubsub"

    c1, c2, r2, pro, first_seqs, contiguous, acked_before, last = asyncio.run(
        _scenario(a, b, service=service, professional_cookie=staff_cookie(professional).decode())
    )

    assert Conversation.objects.get(pk=c1).status == ConversationStatus.CLOSED
    stored = list(Message.objects.filter(conversation_id=c2).order_by("seq"))
    # Gapless per conversation, and the conversation's counter agrees.
    assert [m.seq for m in stored] == list(range(1, len(stored) + 1))
    assert Conversation.objects.get(pk=c2).last_seq == len(stored) == last
    # Every message stored exactly once, with the seq its ack named (also the acks
    # the dead server gave before dying).
    client_ids = [m.client_id for m in stored]
    assert len(client_ids) == len(set(client_ids))
    expected = {f"r2-{i}" for i in range(BURST)} | {f"p2-{i}" for i in range(BURST // 2)}
    assert set(client_ids) == expected | {"p2-last"}
    by_client_id = {m.client_id: m.seq for m in stored}
    for client_id, ack in {**acked_before, **r2.acks}.items():
        assert by_client_id[client_id] == ack["seq"]
    # No socket got a message twice; the resident's two sockets together got every
    # one, the second from exactly where the first left off; the professional
    # (on the surviving server) got every one.
    second_seqs = r2.seqs[c2]
    assert len(first_seqs) == len(set(first_seqs))
    assert len(second_seqs) == len(set(second_seqs))
    assert min(second_seqs) == contiguous + 1
    assert sorted(
        set(first_seqs[: first_seqs.index(contiguous) + 1] if contiguous else []) | set(second_seqs)
    ) == list(range(1, last + 1))
    assert sorted(pro.seqs[c2]) == list(range(1, last + 1))

    # Both processes' logs: structured, with request ids, and without personal data.
    for server in (a, b):
        log = server.log()
        for value in (
            "Resident 1",
            "Resident 2",
            "040 123 456",
            "+35840123456",
            "Matter ",
            "hello from A",
            "hi from B",
            professional_email(servers),
        ):
            assert value not in log, value
    assert '"event": "socket.open"' in b.log() and '"request_id"' in b.log()
    assert '"event": "http.request"' in a.log()
