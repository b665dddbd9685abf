"""PostgreSQL is unreachable for some seconds under a running server.

A real daphne process reaches PostgreSQL through a TCP proxy of this test (the
shared PostgreSQL is never stopped), with the production setting of persistent
database connections. The proxy is cut: its open connections are closed and
new ones refused; some seconds later it listens again. Meanwhile a resident and
the professional keep writing: each message is answered with a `server_error`
error frame that names its client_id, and the clients (as
static/js/chatsocket.js) send it again with backoff on the same socket. A new
socket is told to retry later (close 4503). Nothing is acknowledged that was not
stored; once the database is back the retries are stored exactly once and
acknowledged, on the same sockets, without a restart; both clients end with
exactly the server's history."""

from __future__ import annotations

import asyncio
import contextlib
import json
import urllib.parse

import pytest
from django.db import connection
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from conversations import actions
from tests.conftest import resident_cookie, staff_cookie
from tests.factories import ConversationFactory, ServiceFactory, UserFactory
from tests.production.servers import ORIGIN, Servers, server_env
from tests.reliability.faults import (
    ChatClient,
    TcpProxy,
    check_history,
    history,
    wait_in_sync,
    wait_ready,
    wait_until,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

OUTAGE = [f"r-{i}" for i in range(3)] + [f"p-{i}" for i in range(3)]


@pytest.fixture
def database_proxy(transactional_db):
    settings = connection.settings_dict
    proxy = TcpProxy(int(settings["PORT"] or 5432), settings["HOST"] or "127.0.0.1").start()
    yield proxy
    proxy.close()


@pytest.fixture
def servers(database_proxy, tmp_path):
    s = connection.settings_dict
    auth = urllib.parse.quote(s["USER"] or "")
    if s["PASSWORD"]:
        auth += ":" + urllib.parse.quote(s["PASSWORD"])
    env = server_env(
        tmp_path,
        DATABASE_URL=f"postgres://{auth}@127.0.0.1:{database_proxy.port}/{s['NAME']}",
        DB_CONN_MAX_AGE="600",  # production's persistent connections, broken by the cut
        DB_CONNECT_TIMEOUT="2",
    )
    group = Servers(env=env, log_dir=tmp_path)
    yield group
    group.stop_all()


async def refused_socket(port: int, cookie: str) -> int | None:
    """A new socket while the database is down: its close code."""
    async with connect(
        f"ws://127.0.0.1:{port}/ws/v1/resident/",
        origin=ORIGIN,
        additional_headers={"Cookie": cookie},
        open_timeout=10,
    ) as ws:
        with contextlib.suppress(ConnectionClosed):
            while True:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
                assert frame["type"] != "hello", frame
    return ws.close_code


async def _scenario(servers: Servers, proxy: TcpProxy, c: int, cookies: dict[str, str]):
    server = servers.start()
    resident = ChatClient("resident", "/ws/v1/resident/", cookies["r"], server.port)
    pro = ChatClient("professional", "/ws/v1/staff/", cookies["pro"], server.port, [c])
    try:
        await resident.start()
        await pro.start()
        await resident.write("r-before", "before")
        await pro.write("p-before", "before", c)
        await wait_in_sync([resident, pro], timeout=20)

        proxy.cut()
        for i in range(3):
            await resident.write(f"r-{i}", f"during the outage {i}")
            await pro.write(f"p-{i}", f"during the outage {i}", c)

        def retried_each() -> bool:
            """Every outage message was refused at least twice (so: retried)."""
            errors = [e for client in (resident, pro) for e in client.errors]
            return all(
                sum(e.get("client_id") == cid and e["code"] == "server_error" for e in errors) >= 2
                for cid in OUTAGE
            )

        await wait_until(retried_each, timeout=30, what="server_error and a retry of each")
        close_code = await refused_socket(server.port, cookies["r"])
        stored_during = await asyncio.to_thread(lambda: set(OUTAGE) & set(_client_ids(c)))
        acked_during = set(OUTAGE) & (set(resident.acks) | set(pro.acks))

        proxy.restore()
        await wait_in_sync([resident, pro], timeout=30)
        await wait_ready(server.port, timeout=10)
        return resident, pro, close_code, stored_during, acked_during, server.log()
    finally:
        await resident.close()
        await pro.close()


def _client_ids(conversation: int) -> list[str]:
    from django.db import connections

    try:
        return [cid for cid, _ in history(conversation).values()]
    finally:
        connections.close_all()  # this helper thread's own connection


def test_database_outage_errors_are_retried_nothing_acked_unstored_service_resumes(
    servers, database_proxy
):
    service = ServiceFactory()
    professional = UserFactory()
    service.professionals.add(professional)
    conversation = ConversationFactory(service=service)
    actions.claim_conversation(conversation_id=conversation.pk, professional=professional)
    cookies = {
        "pro": staff_cookie(professional).decode(),
        "r": resident_cookie(conversation).decode(),
    }

    resident, pro, close_code, stored_during, acked_during, _log = asyncio.run(
        _scenario(servers, database_proxy, conversation.pk, cookies)
    )

    # During the outage: refused with a retryable error, not stored, not acknowledged;
    # a new socket was asked to come back later.
    assert stored_during == set() and acked_during == set()
    assert close_code == 4503
    for client in (resident, pro):
        assert {e["code"] for e in client.errors} == {"server_error"}
    # Afterwards: every message stored exactly once, every ack names the stored seq.
    stored = {cid: seq for seq, (cid, _) in check_history(conversation.pk).items()}
    assert set(stored) == {"r-before", "p-before", *OUTAGE}
    for client in (resident, pro):
        assert set(client.acks) <= set(stored)
        for cid, ack in client.acks.items():
            assert stored[cid] == ack["seq"], (client.name, cid)
        # The same sockets throughout, and no message twice on one.
        assert client.hellos == 1 and client.ended == [] and client.twice == []


def test_database_outage_is_logged_once_not_a_traceback_per_frame(servers, database_proxy):
    service = ServiceFactory()
    professional = UserFactory()
    service.professionals.add(professional)
    conversation = ConversationFactory(service=service)
    actions.claim_conversation(conversation_id=conversation.pk, professional=professional)
    cookies = {
        "pro": staff_cookie(professional).decode(),
        "r": resident_cookie(conversation).decode(),
    }
    *_, log = asyncio.run(_scenario(servers, database_proxy, conversation.pk, cookies))
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert [line["message"] for line in lines if line["level"] == "ERROR"] == []
    outage = [line["message"] for line in lines if line["logger"] == "conversations.outages"]
    assert len(outage) == 2 and outage[1].startswith("database available again after")
