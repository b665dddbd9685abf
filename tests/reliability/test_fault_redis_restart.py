"""Redis is restarted under two server processes.

Two real daphne processes share a redis-server of this test's own (killed with
SIGKILL and started again on the same port; the machine's shared Redis is never
touched) as their channel layer, with PostgreSQL. The resident is on one
process, the professional on the other. While Redis is down both keep writing:
their messages are stored and acknowledged (the database is up), but cannot
cross between the processes. After Redis is back, delivery resumes on the same
sockets (no reconnect): a new message crosses live, and the gap it reveals is
filled from the database, so both parties end with exactly the server's history;
every acknowledged message is stored once with its acked seq."""

from __future__ import annotations

import asyncio

import pytest

from conversations import actions
from tests.conftest import need, resident_cookie, staff_cookie
from tests.factories import ConversationFactory, ServiceFactory, UserFactory
from tests.production.servers import Servers, server_env
from tests.reliability.faults import (
    ChatClient,
    RedisServer,
    check_history,
    wait_in_sync,
    wait_ready,
    wait_until,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def redis_server():
    need(RedisServer.available(), "needs redis-server on PATH")
    with RedisServer() as server:
        yield server


@pytest.fixture
def servers(transactional_db, tmp_path, redis_server):
    group = Servers(env=server_env(tmp_path, REDIS_URL=redis_server.url(0)), log_dir=tmp_path)
    yield group
    group.stop_all()


def shows(client: ChatClient, conversation: int, client_id: str) -> bool:
    return any(cid == client_id for cid, _ in client.shown.get(conversation, {}).values())


async def crosses(sender: ChatClient, receiver: ChatClient, conversation: int, tag: str) -> int:
    """Write until one message reaches the other process's socket live; how many it took."""
    for attempt in range(1, 41):
        client_id = f"{tag}-probe-{attempt}"
        await sender.write(client_id, client_id, conversation if sender.conversations else None)
        try:
            await wait_until(
                lambda cid=client_id: shows(receiver, conversation, cid),
                timeout=1,
                what="a live message",
            )
            return attempt
        except AssertionError:
            continue
    raise AssertionError(f"delivery from {sender.name} to {receiver.name} did not resume")


async def _scenario(servers: Servers, redis_server: RedisServer, c: int, cookies: dict[str, str]):
    a, b = servers.start(), servers.start()
    resident = ChatClient("resident", "/ws/v1/resident/", cookies["r"], a.port)
    pro = ChatClient("professional", "/ws/v1/staff/", cookies["pro"], b.port, [c])
    try:
        await resident.start()
        await pro.start()
        for i in range(3):
            await resident.write(f"r-before-{i}", "before")
            await pro.write(f"p-before-{i}", "before", c)
        await wait_in_sync([resident, pro], timeout=20)

        redis_server.kill()
        during = [f"r-during-{i}" for i in range(3)] + [f"p-during-{i}" for i in range(3)]
        for i in range(3):
            await resident.write(f"r-during-{i}", "during the outage")
            await pro.write(f"p-during-{i}", "during the outage", c)
        # Stored and acknowledged: the database is up.
        await wait_until(
            lambda: resident.acked(during[:3]) and pro.acked(during[3:]),
            timeout=20,
            what="acks during the outage",
        )

        redis_server.start()
        await crosses(pro, resident, c, "p")
        await crosses(resident, pro, c, "r")
        await wait_in_sync([resident, pro], timeout=20)
        # New sockets are served again on both processes, and both say they are ready
        # (which also ends the logged outage).
        for server in (a, b):
            newcomer = ChatClient("newcomer", "/ws/v1/resident/", cookies["r"], server.port)
            await newcomer.start()  # with backoff, as long as a 4503 says "later"
            await newcomer.close()
            await wait_ready(server.port, timeout=20)
        return resident, pro, [a.log(), b.log()]
    finally:
        await resident.close()
        await pro.close()


def test_redis_restart_under_two_processes_delivery_resumes_nothing_lost(servers, redis_server):
    service = ServiceFactory()
    professional = UserFactory()
    service.professionals.add(professional)
    conversation = ConversationFactory(service=service)
    actions.claim_conversation(conversation_id=conversation.pk, professional=professional)
    cookies = {
        "pro": staff_cookie(professional).decode(),
        "r": resident_cookie(conversation).decode(),
    }

    resident, pro, logs = asyncio.run(_scenario(servers, redis_server, conversation.pk, cookies))

    stored = {cid: seq for seq, (cid, _) in check_history(conversation.pk).items()}
    for client in (resident, pro):
        for cid, ack in client.acks.items():
            assert stored[cid] == ack["seq"], (client.name, cid)
        assert client.twice == [], f"{client.name} got a message twice on one socket"
        # The same sockets throughout: established sockets survive a Redis restart.
        assert client.hellos == 1 and client.ended == [], client.ended
    assert {f"r-during-{i}" for i in range(3)} | {f"p-during-{i}" for i in range(3)} <= set(stored)
    for log in logs:  # the outage logged once, and its end
        assert log.count("channel layer unavailable") == 1
        assert log.count("channel layer available again after") == 1
        assert '"level": "ERROR"' not in log
