"""Attachments on the sockets: no socket frame can carry a file (before or
after identification); an upload after identification reaches both parties
live as a `message.new` with its `attachment`, and a replay brings it again."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async

from attachments.models import Attachment
from conversations.models import Message
from tests.attachments.conftest import (
    PDF,
    browser_for,
    identify,
    staff_browser,
    staff_upload_url,
    upload,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("channel_layer")]


@sync_to_async
def resident_sends(conversation, data: bytes, name: str, content_type: str = ""):
    return upload(browser_for(conversation), data, name, content_type)


@sync_to_async
def professional_sends(conversation, data: bytes, name: str, content_type: str = ""):
    client = staff_browser(conversation.assigned_to)
    return upload(client, data, name, content_type, url=staff_upload_url(conversation))


async def _no_file_through_the_socket(sock, conversation_id: int) -> None:
    await sock.comm.send_to(bytes_data=PDF)
    assert (await sock.recv_until("error"))["code"] == "binary_not_supported"
    await sock.send({"type": "attachment.upload", "name": "a.pdf", "data": "JVBERi0="})
    assert (await sock.recv_until("error"))["code"] == "unknown_type"
    await sock.send(
        {
            "type": "message.send",
            "client_id": "c-1",
            "body": "see file",
            "attachment": {"name": "a.pdf", "data": "JVBERi0="},
        }
    )
    error = await sock.recv_until("error")
    assert error["code"] == "invalid_frame" and "attachment" in error["detail"]


async def test_no_socket_frame_carries_a_file_before_or_after_identification(
    active, resident_socket
):
    resident = await resident_socket(active)
    await _no_file_through_the_socket(resident, active.pk)
    await database_sync_to_async(identify)(active)
    await _no_file_through_the_socket(resident, active.pk)
    assert not await database_sync_to_async(Message.objects.exists)()
    assert not await database_sync_to_async(Attachment.objects.exists)()


async def test_before_identification_the_upload_is_refused_and_nobody_hears_of_it(
    active, resident_socket, staff_socket
):
    resident = await resident_socket(active)
    staff = await staff_socket(active.assigned_to)
    response = await resident_sends(active, PDF, "a.pdf")
    assert json.loads(response.content)["error"]["code"] == "not_identified"
    assert await resident.nothing()
    assert await staff.nothing()


async def test_an_upload_after_identification_reaches_both_parties_live(
    identified, resident_socket, staff_socket
):
    resident = await resident_socket(identified)
    staff = await staff_socket(identified.assigned_to)
    response = await resident_sends(identified, PDF, "lab.pdf", "application/pdf")
    assert response.status_code == 201
    sent = json.loads(response.content)["attachment"]

    for sock in (resident, staff):
        frame = await sock.recv_until("message.new")
        assert frame["author_kind"] == "resident"
        assert frame["body"] == "lab.pdf"
        assert frame["attachment"] == sent
        assert frame["attachment"]["url"] == f"/attachments/{sent['id']}/"


async def test_the_professionals_file_reaches_the_resident(
    identified, resident_socket, staff_socket
):
    resident = await resident_socket(identified)
    response = await professional_sends(identified, PDF, "form.pdf", "application/pdf")
    assert response.status_code == 201, response.content
    frame = await resident.recv_until("message.new")
    assert frame["author_kind"] == "staff"
    assert frame["attachment"]["name"] == "form.pdf"


async def test_a_replay_brings_the_file_with_its_message(identified, resident_socket, staff_socket):
    await resident_sends(identified, PDF, "lab.pdf")
    await resident_sends(identified, b"plain words\n", "notes.txt")
    for sock in (await resident_socket(identified), await staff_socket(identified.assigned_to)):
        conversation = None if sock.hello["role"] == "resident" else identified.pk
        frame = {"type": "sync", "after_seq": 0}
        if conversation:
            frame["conversation"] = conversation
        await sock.send(frame)
        first = await sock.recv_until("message.new")
        second = await sock.recv_until("message.new")
        assert [first["seq"], second["seq"]] == [1, 2]
        assert first["attachment"]["name"] == "lab.pdf"
        assert second["attachment"]["content_type"] == "text/plain"


async def test_a_text_message_has_no_attachment_field(identified, resident_socket, staff_socket):
    resident = await resident_socket(identified)
    await resident.send({"type": "message.send", "client_id": "t-1", "body": "hej"})
    frame = await resident.recv_until("message.new")
    assert "attachment" not in frame
