"""Retention: past its service's period a conversation goes with everything it
holds (database and files); the statistics stay, the reports do not change; a
dry run changes nothing."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from closing import actions, retention
from closing.models import TranscriptRequest
from closing.tokens import make_transcript_token
from conversations.actions import record_audit
from conversations.models import (
    AuditEntry,
    Conversation,
    ConversationEvent,
    ConversationStatistic,
    InternalNote,
    Message,
)
from reports.selectors import Period, build_report
from surveys.models import SurveyResponse
from tests.closing.conftest import served_conversation

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.ATTACHMENT_ROOT = tmp_path / "attachments"
    return tmp_path


@pytest.fixture
def old_and_new(media):
    """Two closed conversations in a 30-day service, one closed 31 days ago (with
    a file, an identity binding, a transcript request, an answer), one 29 days ago."""
    old = served_conversation()
    service = old.service
    service.retention_days = 30
    service.save()
    young = served_conversation(service=service, professional=old.assigned_to)
    now = timezone.now()
    Conversation.objects.filter(pk=old.pk).update(closed_at=now - timedelta(days=31))
    Conversation.objects.filter(pk=young.pk).update(closed_at=now - timedelta(days=29))
    actions.request_transcript(
        conversation_id=old.pk,
        token=make_transcript_token(old.pk),
        email="a@example.net",
        now=now - timedelta(days=31),
    )
    folder = actions.attachment_dir(old.pk)
    folder.mkdir(parents=True)
    (folder / "stray-file").write_bytes(b"left behind by a crash")
    attach_file(old, b"%PDF-1.4 secret lab result")
    from identity.models import IdentityBinding

    IdentityBinding.objects.create(
        conversation=old,
        provider="standin",
        level="high",
        acr="x",
        subject_digest="d" * 64,
        given_names="Testi",
        family_name="Asukas",
    )
    SurveyResponse.objects.create(
        service=service,
        professional=old.assigned_to,
        language="sv",
        started_hour=now - timedelta(days=32),
        satisfaction=4,
        help_received="yes",
        comment="Tack, Testi här",
    )
    record_audit(user=old.assigned_to, action="open_conversation", conversation_id=old.pk)
    return old, young, now


def attach_file(conversation, data: bytes):
    """An attachment as the attachments app stores it (row + bytes in its storage)."""
    from django.core.files.base import ContentFile

    from attachments.models import Attachment
    from attachments.storage import attachment_storage, new_storage_name

    name = attachment_storage().save(new_storage_name(conversation.pk), ContentFile(data))
    return Attachment.objects.create(
        conversation=conversation,
        uploaded_by_kind="resident",
        name="lab-result.pdf",
        content_type="application/pdf",
        size=len(data),
        storage_name=name,
        sha256="0" * 64,
    )


def report_now(service, now):
    day = timezone.localdate(now)
    return build_report(
        service_ids=[service.pk],
        period=Period(day - timedelta(days=40), day),
        per_professional=True,
    )


def test_dry_run_changes_nothing(old_and_new, capsys):
    old, _young, now = old_and_new
    counts = [
        m.objects.count() for m in (Conversation, Message, ConversationEvent, TranscriptRequest)
    ]
    summary = retention.purge_expired(now=now, dry_run=True)
    assert summary.due == 1 and summary.purged == 0
    call_command("purge_conversations", "--dry-run")
    out = capsys.readouterr().out
    assert "1 conversation(s) would be deleted" in out and old.service.slug in out
    assert counts == [
        m.objects.count() for m in (Conversation, Message, ConversationEvent, TranscriptRequest)
    ]
    assert actions.attachment_dir(old.pk).exists()
    assert SurveyResponse.objects.get().comment


def test_purge_removes_content_and_files_keeps_statistics_and_reports(
    old_and_new, django_capture_on_commit_callbacks
):
    old, young, now = old_and_new
    before = report_now(old.service, now)
    with django_capture_on_commit_callbacks(execute=True):
        summary = retention.purge_expired(now=now)
    assert summary.purged == 1
    assert not Conversation.objects.filter(pk=old.pk).exists()
    assert not Message.objects.filter(conversation_id=old.pk).exists()
    assert not InternalNote.objects.filter(conversation_id=old.pk).exists()
    assert not ConversationEvent.objects.filter(conversation_id=old.pk).exists()
    assert not TranscriptRequest.objects.filter(conversation_id=old.pk).exists()
    from identity.models import IdentityBinding

    assert not IdentityBinding.objects.filter(conversation_id=old.pk).exists()
    from attachments.models import Attachment

    assert not Attachment.objects.filter(conversation_id=old.pk).exists()
    assert not actions.attachment_dir(old.pk).exists()  # the files too
    # The young one is untouched.
    assert Conversation.objects.filter(pk=young.pk).exists()
    assert Message.objects.filter(conversation_id=young.pk).count() == 2
    # Statistics kept, anonymous now; the report is the same.
    assert ConversationStatistic.objects.count() == 2
    assert ConversationStatistic.objects.filter(conversation__isnull=True).count() == 1
    assert report_now(old.service, now) == before
    # The free-text comment of the same age is emptied; its scores stay.
    answer = SurveyResponse.objects.get()
    assert answer.comment == "" and answer.satisfaction == 4
    # The audit trail is not content: it stays.
    assert AuditEntry.objects.filter(conversation_id=old.pk).exists()


def test_purge_is_idempotent_and_respects_each_services_period(old_and_new):
    _old, _young, now = old_and_new
    retention.purge_expired(now=now)
    assert retention.purge_expired(now=now).purged == 0
    assert (
        retention.purge_expired(now=now + timedelta(days=1, hours=1)).purged == 1
    )  # young turns 30


def test_open_conversations_are_never_purged(media):
    open_one = served_conversation(close=False)
    Conversation.objects.filter(pk=open_one.pk).update(
        created_at=timezone.now() - timedelta(days=400)
    )
    assert retention.purge_expired(now=timezone.now()).purged == 0
    assert Conversation.objects.filter(pk=open_one.pk).exists()


def test_one_failure_does_not_stop_the_rest(old_and_new, monkeypatch):
    old, _young, now = old_and_new
    other = served_conversation(service=old.service, professional=old.assigned_to)
    Conversation.objects.filter(pk=other.pk).update(closed_at=now - timedelta(days=40))
    real = actions.purge_conversation

    def flaky(*, conversation_id, cutoff_by_service):
        if conversation_id == other.pk:
            raise RuntimeError("disk full")
        return real(conversation_id=conversation_id, cutoff_by_service=cutoff_by_service)

    monkeypatch.setattr(actions, "purge_conversation", flaky)
    assert retention.purge_expired(now=now).purged == 1
    assert not Conversation.objects.filter(pk=old.pk).exists()


def test_the_purge_is_scheduled_in_the_database():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="closing.tasks.purge_expired_conversations")
    assert task.enabled and task.crontab is not None


def test_the_task_runs_the_purge(old_and_new):
    from closing.tasks import purge_expired_conversations

    old, *_ = old_and_new
    assert purge_expired_conversations.delay().get() == 1
    assert not Conversation.objects.filter(pk=old.pk).exists()
