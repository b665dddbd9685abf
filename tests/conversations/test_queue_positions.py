"""Queue positions during a surge (conversations/queueing.py): the order is kept
once per process, and each waiting resident gets at most one `queue.position`
per interval, always ending on their newest place."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from conversations import actions, queueing, selectors
from conversations.events import QueueChanged
from tests.factories import ConversationFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("channel_layer")]


async def test_claims_within_the_interval_reach_a_resident_as_one_newest_position(
    service, professional, resident_socket, monkeypatch
):
    # Long enough that the three claims below surely fall within one interval.
    monkeypatch.setattr(queueing, "POSITION_INTERVAL", 3.0)
    queue = await database_sync_to_async(
        lambda: [ConversationFactory(service=service) for _ in range(4)]
    )()
    last = await resident_socket(queue[-1])
    assert last.hello["conversation"]["position"] == 4

    async def claim(conversation):
        await database_sync_to_async(actions.claim_conversation)(
            conversation_id=conversation.pk, professional=professional
        )

    await claim(queue[0])
    assert await last.recv_until("queue.position") == {
        "type": "queue.position",
        "position": 3,
        "waiting": 3,
    }  # the first change at once
    await claim(queue[1])
    await claim(queue[2])
    assert await last.nothing(0.3)  # held back, not sent per claim
    # Then one frame with the newest place: never the stale 2 in between.
    assert await last.recv_until("queue.position", timeout=8) == {
        "type": "queue.position",
        "position": 1,
        "waiting": 1,
    }
    assert await last.nothing(0.5)


async def test_an_order_published_elsewhere_is_read_once_per_process(service, monkeypatch):
    queue = await database_sync_to_async(
        lambda: [ConversationFactory(service=service) for _ in range(3)]
    )()
    reads = []
    real = selectors.waiting_ids

    def counted(**kwargs):
        reads.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(selectors, "waiting_ids", counted)
    # A revision this process did not publish (another server process did).
    snapshots = await asyncio.gather(
        *(queueing.snapshot(service.pk, "elsewhere.1") for _ in range(50))
    )
    assert len(reads) == 1
    assert {s.positions[queue[2].pk] for s in snapshots} == {3}
    assert snapshots[0].waiting == 3
    await queueing.snapshot(service.pk, "elsewhere.1")
    assert len(reads) == 1  # kept


async def test_a_dropped_order_of_this_process_is_answered_by_its_newest_without_a_read(
    service, monkeypatch
):
    reads = []

    def counted(**kwargs):
        reads.append(kwargs)
        return []

    monkeypatch.setattr(selectors, "waiting_ids", counted)
    revisions = [
        queueing.layer_message(QueueChanged(service=service.pk, waiting=list(range(n, 30))))[
            "revision"
        ]
        for n in range(queueing.KEEP + 5)
    ]
    # The first orders were dropped by now; a slow socket asking for one gets the newest.
    oldest = await queueing.snapshot(service.pk, revisions[0])
    assert reads == []
    assert oldest.waiting == 30 - (queueing.KEEP + 4)
    assert oldest.positions[29] == 1 + 29 - (queueing.KEEP + 4)


async def test_a_process_hears_a_queue_once_and_tells_only_residents_whose_place_changed(
    service, professional, resident_socket, channel_layer
):
    queue = await database_sync_to_async(
        lambda: [ConversationFactory(service=service) for _ in range(5)]
    )()
    sockets = [await resident_socket(c) for c in queue]
    assert [s.hello["conversation"]["position"] for s in sockets] == [1, 2, 3, 4, 5]
    if channel_layer == "memory":
        # One subscriber per process, however many residents wait here.
        layer = get_channel_layer()
        assert len(layer.groups[queueing.queue_group(service.pk)]) == 1

    async def claim(conversation):
        await database_sync_to_async(actions.claim_conversation)(
            conversation_id=conversation.pk, professional=professional
        )

    await claim(queue[-1])  # the last: nobody else's place changes
    for sock in sockets[:-1]:
        assert await sock.nothing(0.3)
    await claim(queue[0])  # the first: everyone behind moves up
    got = [await sock.recv_until("queue.position") for sock in sockets[1:4]]
    assert [(f["position"], f["waiting"]) for f in got] == [(1, 3), (2, 3), (3, 3)]


async def test_offers_run_one_at_a_time_so_a_resident_never_gets_an_older_place_last(
    monkeypatch, channel_layer
):
    """A slow read of one order (another process published it) must not let its
    older place reach the resident after a newer one."""
    monkeypatch.setattr(queueing, "POSITION_INTERVAL", 0.0)
    places = {"old": 3, "new": 2}

    async def slow_snapshot(service_id, revision, heard_at=None):
        if revision == "old":
            await asyncio.sleep(0.3)
        return queueing.Snapshot(positions={7: places[revision]}, waiting=5)

    monkeypatch.setattr(queueing, "snapshot", slow_snapshot)
    sent = []

    async def send(position, waiting):
        sent.append(position)

    feed = queueing.PositionFeed(7, send)
    hub = queueing.hub()
    await hub.watch(1, feed)
    hub.changed(1, "old")
    await asyncio.sleep(0.05)  # the first offer is reading its (slow) order
    hub.changed(1, "new")
    for _ in range(100):
        if len(sent) == 2:
            break
        await asyncio.sleep(0.05)
    assert sent == [3, 2]  # the newest place last


async def test_a_socket_that_ended_without_its_disconnect_drops_out_of_the_hub(channel_layer):
    import gc

    async def send(position, waiting):
        pass

    feed = queueing.PositionFeed(7, send)
    hub = queueing.hub()
    await hub.watch(1, feed)
    assert len(hub.feeds[1]) == 1
    del feed
    gc.collect()
    assert len(hub.feeds[1]) == 0


async def test_a_failed_queue_subscription_is_retried_and_the_socket_stays(
    service, professional, resident_socket, monkeypatch, channel_layer
):
    """The layer failing just as a waiting resident connects (Redis going down)
    must not close the socket: positions resume once the subscription is back."""
    layer = get_channel_layer()
    real = layer.group_add
    failures = [RuntimeError("layer down")]

    async def flaky(group, channel):
        if group.startswith("queue.") and failures:
            raise failures.pop()
        return await real(group, channel)

    monkeypatch.setattr(layer, "group_add", flaky)
    queue = await database_sync_to_async(
        lambda: [ConversationFactory(service=service) for _ in range(2)]
    )()
    last = await resident_socket(queue[-1])
    assert last.hello["conversation"]["position"] == 2
    await last.send({"type": "ping"})
    assert (await last.recv_until("pong"))["type"] == "pong"
    for _ in range(100):  # the hub tries again after a second
        if not failures and service.pk not in queueing.hub().retrying:
            break
        await asyncio.sleep(0.05)
    await database_sync_to_async(actions.claim_conversation)(
        conversation_id=queue[0].pk, professional=professional
    )
    assert (await last.recv_until("queue.position", timeout=5))["position"] == 1
