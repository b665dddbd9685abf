"""The server process is killed (SIGKILL) while residents and a professional are
sending, and started again.

A real daphne process with PostgreSQL and the Redis layer. Two residents and
their professional (who serves both) write bursts at once, without waiting for
acknowledgements; after the first few acks the process is killed. The clients
behave as static/js/chatsocket.js: they reconnect (with backoff, until the
restarted process answers), `sync` from the last seq they show without a gap and
resend every message never acknowledged, by its client_id; they also write while
the server is down. Afterwards every acknowledged message is stored exactly once
with the seq its ack named, every message written is stored exactly once, each
conversation's seqs have no gaps, no socket got a message twice, and every
client shows exactly the server's history."""

from __future__ import annotations

import asyncio
import signal

import pytest

from conversations import actions
from tests.conftest import resident_cookie, staff_cookie
from tests.factories import ConversationFactory, ServiceFactory, UserFactory
from tests.production.servers import Servers, server_env
from tests.reliability.faults import ChatClient, check_history, wait_in_sync, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

BURST = 15  # messages per writer and conversation


@pytest.fixture
def servers(transactional_db, tmp_path):
    group = Servers(env=server_env(tmp_path), log_dir=tmp_path)
    yield group
    group.stop_all()


async def _scenario(servers: Servers, c1: int, c2: int, cookies: dict[str, str]):
    server = servers.start()
    pro = ChatClient("professional", "/ws/v1/staff/", cookies["pro"], server.port, [c1, c2])
    r1 = ChatClient("resident 1", "/ws/v1/resident/", cookies["r1"], server.port)
    r2 = ChatClient("resident 2", "/ws/v1/resident/", cookies["r2"], server.port)
    clients = [pro, r1, r2]
    try:
        for client in clients:
            await client.start()
        written: set[str] = set()

        async def burst(tag: str, first: int, count: int) -> None:
            for i in range(first, first + count):
                for client, cid, conversation in (
                    (r1, f"r1-{tag}{i}", None),
                    (r2, f"r2-{tag}{i}", None),
                    (pro, f"p1-{tag}{i}", c1),
                    (pro, f"p2-{tag}{i}", c2),
                ):
                    written.add(cid)
                    await client.write(cid, f"{cid} body", conversation)

        await burst("a", 0, BURST)
        # Everyone keeps writing until the kill, so that some messages are always
        # on their way when it comes (whatever the batching of the commits).
        stop = asyncio.Event()

        async def keep_writing() -> None:
            for i in range(BURST, 4 * BURST):
                if stop.is_set():
                    return
                await burst("a", i, 1)
                await asyncio.sleep(0.01)

        writing = asyncio.ensure_future(keep_writing())
        # Some acknowledged, more not yet: kill the process now, mid-burst.
        await wait_until(
            lambda: sum(len(c.acks) for c in clients) >= 6, timeout=30, what="first acks"
        )
        server.process.send_signal(signal.SIGKILL)
        stop.set()
        await writing
        server.process.wait(10)
        acked_before = {cid: ack["seq"] for c in clients for cid, ack in c.acks.items()}
        assert len(acked_before) < len(written), "the kill came too late to test anything"
        await wait_until(
            lambda: all(c.ws is None for c in clients), timeout=10, what="the clients to notice"
        )
        # Written while the server is down: kept in the outbox.
        await burst("b", 0, 2)
        servers.start(port=server.port)
        await wait_in_sync(clients, timeout=60)
        # And live delivery works on the new process.
        await burst("c", 0, 1)
        await wait_in_sync(clients, timeout=30)
        return written, acked_before, {c.name: c for c in clients}
    finally:
        for client in clients:
            await client.close()


def test_sigkill_mid_burst_loses_nothing_acknowledged_and_stores_everything_once(servers):
    service = ServiceFactory()
    professional = UserFactory()
    service.professionals.add(professional)
    conversations = []
    for _ in range(2):
        conversation = ConversationFactory(service=service)
        actions.claim_conversation(conversation_id=conversation.pk, professional=professional)
        conversations.append(conversation)
    c1, c2 = (c.pk for c in conversations)
    cookies = {
        "pro": staff_cookie(professional).decode(),
        "r1": resident_cookie(conversations[0]).decode(),
        "r2": resident_cookie(conversations[1]).decode(),
    }

    written, acked_before, clients = asyncio.run(_scenario(servers, c1, c2, cookies))

    stored = {**{v[0]: k for k, v in check_history(c1).items()}}
    stored2 = {v[0]: k for k, v in check_history(c2).items()}
    assert not set(stored) & set(stored2)
    stored.update(stored2)
    # Every message written is stored exactly once (check_history: no client_id twice).
    assert set(stored) == written
    # Every message acknowledged before the kill is there, with the seq its ack named.
    assert {cid: stored[cid] for cid in acked_before} == acked_before
    # Every ack any client got names the stored seq.
    for client in clients.values():
        for cid, ack in client.acks.items():
            assert stored[cid] == ack["seq"], (client.name, cid)
        assert client.twice == [], f"{client.name} got a message twice on one socket"
        assert client.hellos >= 2 and not client.outbox
    assert len(clients["professional"].ended) >= 1
