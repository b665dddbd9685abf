"""Deletion with the conversation (the retention purge calls this)."""

import pytest

from attachments.actions import delete_for_conversation
from attachments.models import Attachment
from conversations.models import Message
from tests.attachments.conftest import PDF, browser_for, stored_files, upload

pytestmark = pytest.mark.django_db


def test_delete_for_conversation_removes_rows_and_files_after_the_commit(
    identified, settings, django_capture_on_commit_callbacks
):
    client = browser_for(identified)
    upload(client, PDF, "a.pdf")
    upload(client, b"hello\n", "b.txt")
    assert len(stored_files(settings.ATTACHMENT_ROOT)) == 2
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert delete_for_conversation(identified.pk) == 2
    assert not Attachment.objects.exists()
    assert len(stored_files(settings.ATTACHMENT_ROOT)) == 2  # bytes go only after commit
    for callback in callbacks:
        callback()
    assert stored_files(settings.ATTACHMENT_ROOT) == []
    # The chat messages are the purge's to delete with the conversation.
    assert Message.objects.filter(conversation=identified).count() == 2


def test_delete_for_conversation_leaves_other_conversations_alone(identified, service, settings):
    from tests.attachments.conftest import identify
    from tests.factories import ConversationFactory

    other = ConversationFactory(
        service=service, status="active", assigned_to=identified.assigned_to
    )
    identify(other)
    upload(browser_for(identified), PDF, "a.pdf")
    upload(browser_for(other), PDF, "b.pdf")
    assert delete_for_conversation(identified.pk) == 1
    assert list(Attachment.objects.values_list("conversation_id", flat=True)) == [other.pk]


def test_delete_for_a_conversation_without_files_is_a_no_op(identified):
    assert delete_for_conversation(identified.pk) == 0
