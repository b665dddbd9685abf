"""The network of one client is cut without a close frame (a half-open connection).

A real daphne process with PostgreSQL and Redis; the resident reaches it through a
TCP proxy of this test that blackholes the connection: nothing passes either way
and nobody is told (no FIN, no RST, no close frame). The professional is
connected directly. Both sides must notice by themselves within the documented
time, and recover:

- the client (as static/js/chatsocket.js) sends an application `ping` every
  HEARTBEAT seconds and gives up on a socket whose `pong` does not come within
  PONG_TIMEOUT; then it reconnects with backoff;
- the server (daphne) sends a WebSocket ping after `--ping-interval` seconds
  without a frame from the client and drops the connection when no pong comes
  within `--ping-timeout` (checked every 2 s); the resident's socket closes,
  its connection row goes, and the professional gets `resident_disconnected`.

When the network is back the resident reconnects, the professional sees
`resident_connected`, the message the resident wrote into the void is resent
and stored once, and both end with exactly the server's history."""

from __future__ import annotations

import asyncio
import time

import pytest

from conversations import actions
from tests.conftest import resident_cookie, staff_cookie
from tests.factories import ConversationFactory, ServiceFactory, UserFactory
from tests.production.servers import Servers, server_env
from tests.reliability.faults import (
    ChatClient,
    TcpProxy,
    check_history,
    wait_in_sync,
    wait_until,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

# The client's heartbeat (chatsocket.js: heartbeatSeconds, pongTimeoutSeconds; 20 / 10 there).
HEARTBEAT, PONG_TIMEOUT = 0.5, 1.0
# The server's (daphne --ping-interval / --ping-timeout; 20 / 30 by default), and
# daphne's timeout check runs every 2 s.
PING_INTERVAL, PING_TIMEOUT, DAPHNE_TICK = 1, 2, 2
CLIENT_BOUND = HEARTBEAT + PONG_TIMEOUT
SERVER_BOUND = PING_INTERVAL + PING_TIMEOUT + DAPHNE_TICK
MARGIN = 5.0  # a loaded CI machine; the bound itself is a few seconds


@pytest.fixture
def servers(transactional_db, tmp_path):
    env = server_env(tmp_path, CONNECTION_HEARTBEAT_SECONDS="1", CONNECTION_STALE_SECONDS="2")
    group = Servers(env=env, log_dir=tmp_path)
    yield group
    group.stop_all()


def changes(client: ChatClient, conversation: int, change: str) -> int:
    return sum(
        1
        for f in client.frames
        if f["type"] == "conversation.changed"
        and f["change"] == change
        and f["conversation"]["id"] == conversation
    )


async def _scenario(servers: Servers, c: int, cookies: dict[str, str]):
    server = servers.start(
        daphne_args=("--ping-interval", str(PING_INTERVAL), "--ping-timeout", str(PING_TIMEOUT))
    )
    proxy = TcpProxy(server.port).start()
    resident = ChatClient(
        "resident",
        "/ws/v1/resident/",
        cookies["r"],
        proxy.port,
        heartbeat=HEARTBEAT,
        pong_timeout=PONG_TIMEOUT,
    )
    pro = ChatClient("professional", "/ws/v1/staff/", cookies["pro"], server.port, [c])
    try:
        await pro.start()
        await resident.start()
        await resident.write("r-0", "before the cut")
        await pro.write("p-0", "before the cut", c)
        await wait_in_sync([resident, pro], timeout=10)

        cut = time.monotonic()
        proxy.blackhole()
        await resident.write("r-1", "into the void")
        await pro.write("p-1", "while the resident is cut off", c)

        ended = await wait_until(
            lambda: resident.ended, timeout=CLIENT_BOUND + MARGIN, what="the client to notice"
        )
        client_noticed = time.monotonic() - cut
        await wait_until(
            lambda: changes(pro, c, "resident_disconnected"),
            timeout=SERVER_BOUND + MARGIN,
            what="the server to notice (resident_disconnected)",
        )
        server_noticed = time.monotonic() - cut
        assert "r-1" in resident.outbox  # never acknowledged: still waiting to go

        proxy.heal()
        await wait_until(lambda: resident.live, timeout=20, what="the resident to reconnect")
        await wait_until(
            lambda: changes(pro, c, "resident_connected"),
            timeout=10,
            what="resident_connected again",
        )
        await wait_in_sync([resident, pro], timeout=20)
        return resident, pro, ended[0], client_noticed, server_noticed
    finally:
        await resident.close()
        await pro.close()
        proxy.close()


def test_a_half_open_connection_is_noticed_on_both_sides_and_recovers(servers):
    service = ServiceFactory()
    professional = UserFactory()
    service.professionals.add(professional)
    conversation = ConversationFactory(service=service)
    actions.claim_conversation(conversation_id=conversation.pk, professional=professional)
    cookies = {
        "pro": staff_cookie(professional).decode(),
        "r": resident_cookie(conversation).decode(),
    }

    resident, pro, ended, client_noticed, server_noticed = asyncio.run(
        _scenario(servers, conversation.pk, cookies)
    )

    # The client saw its ping go unanswered (not a close: nothing was closed).
    assert ended.how == "pong_timeout"
    # Within the documented bounds (the waits above were their deadlines too).
    assert client_noticed <= CLIENT_BOUND + MARGIN
    assert server_noticed <= SERVER_BOUND + MARGIN
    stored = {cid: seq for seq, (cid, _) in check_history(conversation.pk).items()}
    assert set(stored) == {"r-0", "p-0", "r-1", "p-1"}
    for client in (resident, pro):
        for cid, ack in client.acks.items():
            assert stored[cid] == ack["seq"]
    assert pro.hellos == 1 and pro.ended == []  # the professional's socket was never affected
