"""Group commit (conversations/writer.py, actions.messages.post_messages): many
sockets' messages in one transaction, each answered as if it had been stored
alone. One invalid message in a batch never costs the others their storage or
their ack."""

import asyncio

import pytest
from channels.db import database_sync_to_async

from conversations import actions
from conversations.actions.messages import MessageRequest, PostResult, post_messages
from conversations.errors import DomainError
from conversations.events import MessageNew
from conversations.models import ActorKind, ConversationStatus, Message
from conversations.writer import Writer
from tests.factories import ConversationFactory


def resident(conversation, client_id: str, body: str = "Hej") -> MessageRequest:
    return MessageRequest(
        conversation_id=conversation.pk,
        author_kind=ActorKind.RESIDENT,
        body=body,
        client_id=client_id,
    )


def stored(conversation) -> list[tuple[int, str]]:
    return list(
        Message.objects.filter(conversation=conversation)
        .order_by("seq")
        .values_list("seq", "client_id")
    )


@pytest.mark.django_db
def test_a_batch_with_invalid_messages_stores_and_answers_the_others(
    service, published, django_capture_on_commit_callbacks
):
    first, second = ConversationFactory(service=service), ConversationFactory(service=service)
    closed = ConversationFactory(service=service, status=ConversationStatus.CLOSED)
    with django_capture_on_commit_callbacks(execute=True):
        outcomes = post_messages(
            [
                resident(first, "a"),
                resident(second, "blank", body="   \u200b"),
                resident(closed, "refused"),
                resident(second, "b"),
                resident(first, "c"),
            ]
        )
    a, blank, refused, b, c = outcomes
    assert isinstance(a, PostResult) and isinstance(b, PostResult) and isinstance(c, PostResult)
    assert isinstance(blank, DomainError) and blank.code == "empty_message"
    assert isinstance(refused, DomainError) and refused.code == "conversation_closed"
    assert [(r.message.seq, r.created) for r in (a, b, c)] == [(1, True), (1, True), (2, True)]
    assert stored(first) == [(1, "a"), (2, "c")]
    assert stored(second) == [(1, "b")]
    assert stored(closed) == []
    # Published after the commit, in the batch's order; nothing for the refused.
    assert [(e.conversation, e.seq, e.client_id) for e in published] == [
        (first.pk, 1, "a"),
        (second.pk, 1, "b"),
        (first.pk, 2, "c"),
    ]


@pytest.mark.django_db
def test_a_resend_in_a_batch_is_answered_as_a_duplicate_and_the_others_are_stored(
    conversation, published, django_capture_on_commit_callbacks
):
    actions.post_message(
        conversation_id=conversation.pk, author_kind=ActorKind.RESIDENT, body="x", client_id="old"
    )
    other = ConversationFactory(service=conversation.service)
    with django_capture_on_commit_callbacks(execute=True):
        # The resend breaks the batch's INSERT (unique client_id): the batch is
        # rolled back and every message is stored on its own.
        outcomes = post_messages(
            [resident(other, "n1"), resident(conversation, "old"), resident(conversation, "n2")]
        )
    n1, old, n2 = outcomes
    assert isinstance(n1, PostResult) and isinstance(old, PostResult)
    assert isinstance(n2, PostResult)
    assert (old.created, old.message.seq) == (False, 1)
    assert (n1.created, n1.message.seq) == (True, 1)
    assert (n2.created, n2.message.seq) == (True, 2)
    assert stored(conversation) == [(1, "old"), (2, "n2")]  # gapless after the rollback
    assert stored(other) == [(1, "n1")]
    assert [(e.client_id, e.seq) for e in published if isinstance(e, MessageNew)] == [
        ("n1", 1),
        ("n2", 2),
    ]


@pytest.mark.django_db(transaction=True)
async def test_the_writer_commits_concurrent_messages_as_one_batch_and_answers_each(service):
    first, second = await database_sync_to_async(
        lambda: (ConversationFactory(service=service), ConversationFactory(service=service))
    )()
    writer = Writer()
    results = await asyncio.gather(
        writer.post(resident(first, "w1")),
        writer.post(resident(second, "w2", body="")),  # invalid: refused alone
        writer.post(resident(second, "w3")),
        writer.post(resident(first, "w4")),
        return_exceptions=True,
    )
    assert writer.batches == 1 and writer.largest == 4  # one transaction for all four
    w1, w2, w3, w4 = results
    assert isinstance(w1, PostResult) and isinstance(w3, PostResult)
    assert isinstance(w4, PostResult)
    assert isinstance(w2, DomainError) and w2.code == "empty_message"
    assert [(r.message.client_id, r.message.seq) for r in (w1, w3, w4)] == [
        ("w1", 1),
        ("w3", 1),
        ("w4", 2),
    ]
    # Answered only after the commit: the rows are there for anyone to read.
    assert await database_sync_to_async(stored)(first) == [(1, "w1"), (2, "w4")]
    assert await database_sync_to_async(stored)(second) == [(1, "w3")]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("channel_layer")
async def test_sockets_sending_at_once_all_get_acks_and_the_invalid_one_an_error(
    service, resident_socket
):
    conversations = await database_sync_to_async(
        lambda: [ConversationFactory(service=service) for _ in range(4)]
    )()
    sockets = [await resident_socket(c) for c in conversations]  # hello and sync done
    frames = [
        # The third is blank once cleaned: refused by the action, in the batch.
        {"type": "message.send", "client_id": f"s{i}", "body": " \u200b " if i == 2 else f"m{i}"}
        for i in range(len(sockets))
    ]
    await asyncio.gather(*(s.send(f) for s, f in zip(sockets, frames, strict=True)))
    answers = [
        await s.recv_until("error" if i == 2 else "message.ack") for i, s in enumerate(sockets)
    ]
    assert answers[2]["code"] == "empty_message" and answers[2]["client_id"] == "s2"
    assert [(a["client_id"], a["seq"]) for i, a in enumerate(answers) if i != 2] == [
        ("s0", 1),
        ("s1", 1),
        ("s3", 1),
    ]
    counts = await database_sync_to_async(
        lambda: [Message.objects.filter(conversation=c).count() for c in conversations]
    )()
    assert counts == [1, 1, 0, 1]
