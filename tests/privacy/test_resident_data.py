"""One resident's data, exported or erased on request: management commands and
admin actions, both in the audit log."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from conversations import actions
from conversations.models import (
    ActorKind,
    AuditAction,
    AuditEntry,
    Conversation,
    ConversationEvent,
    ConversationStatus,
    Message,
)
from identity import crypto
from identity.models import IdentityBinding
from tests.factories import ConversationFactory, UserFactory

pytestmark = pytest.mark.django_db

HETU = "131052-308T"
OTHER_HETU = "010280-952L"


@pytest.fixture
def operator():
    return UserFactory(is_superuser=True, email="admin@example.org")


def chat(service, professional, *, hetu: str | None = None, close: bool = True) -> Conversation:
    conversation = Conversation.objects.get(
        pk=ConversationFactory(service=service, resident_name="Aino Virtanen").pk
    )
    actions.claim_conversation(conversation_id=conversation.pk, professional=professional)
    actions.post_message(
        conversation_id=conversation.pk,
        author_kind=ActorKind.RESIDENT,
        body=f"question in #{conversation.pk}",
        client_id="r-1",
    )
    if hetu:
        IdentityBinding.objects.create(
            conversation=conversation,
            provider="oidc",
            level="high",
            acr="http://ftn.ficora.fi/2017/loa3",
            given_names="Aino",
            family_name="Virtanen",
            hetu_ciphertext=crypto.encrypt_hetu(hetu),
            hetu_digest=crypto.hetu_digest(hetu),
            subject_digest=f"subject-{hetu}",
        )
    if close:
        Conversation.objects.filter(pk=conversation.pk).update(
            status=ConversationStatus.CLOSED, closed_at=timezone.now()
        )
    return conversation


def audit_rows(action):
    return list(
        AuditEntry.objects.filter(action=action).values_list("user__email", "conversation_id")
    )


def run(command: str, *args: str, stdin: str = "") -> str:
    out = io.StringIO()
    import sys

    old = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        call_command(command, *args, stdout=out, stderr=io.StringIO())
    finally:
        sys.stdin = old
    return out.getvalue()


def test_export_one_conversation_as_json_with_an_audit_row(service, professional, operator):
    one = chat(service, professional, hetu=HETU)
    chat(service, professional)  # somebody else's
    data = json.loads(
        run("export_resident_data", "--conversation", str(one.pk), "--operator", operator.email)
    )
    assert data["format"] == "chatservice.resident-data.v1"
    [exported] = data["conversations"]
    assert exported["id"] == one.pk
    assert exported["resident"]["name"] == "Aino Virtanen"
    assert exported["identity"]["identity_code"] == HETU
    assert [m["body"] for m in exported["messages"]] == [f"question in #{one.pk}"]
    assert "claimed" in {e["kind"] for e in exported["events"]}
    assert audit_rows(AuditAction.EXPORT_RESIDENT_DATA) == [(operator.email, one.pk)]


def test_export_every_conversation_of_an_identified_person(service, professional, operator):
    first = chat(service, professional, hetu=HETU)
    second = chat(service, professional, hetu=HETU)
    chat(service, professional, hetu=OTHER_HETU)
    chat(service, professional)
    data = json.loads(
        run("export_resident_data", "--person", "--operator", operator.email, stdin=HETU + "\n")
    )
    assert sorted(c["id"] for c in data["conversations"]) == [first.pk, second.pk]
    assert sorted(audit_rows(AuditAction.EXPORT_RESIDENT_DATA)) == [
        (operator.email, first.pk),
        (operator.email, second.pk),
    ]


def test_only_an_administrator_may_be_the_operator(service, professional):
    one = chat(service, professional)
    with pytest.raises(CommandError, match="administrator"):
        run("export_resident_data", "--conversation", str(one.pk), "--operator", professional.email)
    assert not AuditEntry.objects.exists()


def test_erase_removes_everything_but_the_audit_row(service, professional, operator):
    one = chat(service, professional, hetu=HETU)
    other = chat(service, professional, hetu=OTHER_HETU)
    # Without --yes nothing happens.
    assert "would erase" in run(
        "erase_resident_data", "--person", "--operator", operator.email, stdin=HETU
    )
    assert Conversation.objects.filter(pk=one.pk).exists()

    run("erase_resident_data", "--person", "--yes", "--operator", operator.email, stdin=HETU)

    assert not Conversation.objects.filter(pk=one.pk).exists()
    assert not Message.objects.filter(conversation_id=one.pk).exists()
    assert not ConversationEvent.objects.filter(conversation_id=one.pk).exists()
    assert not IdentityBinding.objects.filter(conversation_id=one.pk).exists()
    assert audit_rows(AuditAction.ERASE_RESIDENT_DATA) == [(operator.email, one.pk)]
    # Somebody else's data is untouched.
    assert Message.objects.filter(conversation_id=other.pk).count() == 1
    assert IdentityBinding.objects.filter(conversation_id=other.pk).exists()


def test_an_open_conversation_is_not_erased(service, professional, operator):
    open_one = chat(service, professional, close=False)
    with pytest.raises(CommandError, match="still open"):
        run(
            "erase_resident_data",
            "--conversation",
            str(open_one.pk),
            "--yes",
            "--operator",
            operator.email,
        )
    assert Conversation.objects.filter(pk=open_one.pk).exists()
    assert not AuditEntry.objects.filter(action=AuditAction.ERASE_RESIDENT_DATA).exists()


def test_an_invalid_identity_code_is_refused(operator):
    with pytest.raises(CommandError, match="not a valid"):
        run("export_resident_data", "--person", "--operator", operator.email, stdin="131052-3081")


def test_admin_actions_export_and_erase_with_audit_rows(client, service, professional, operator):
    one = chat(service, professional)
    client.force_login(operator, backend="django.contrib.auth.backends.ModelBackend")
    url = "/admin/conversations/conversation/"
    exported = client.post(url, {"action": "export_resident_data", "_selected_action": [one.pk]})
    assert json.loads(exported.content)["conversations"][0]["id"] == one.pk
    assert audit_rows(AuditAction.EXPORT_RESIDENT_DATA) == [(operator.email, one.pk)]

    # Erasing asks first…
    asked = client.post(url, {"action": "erase_resident_data", "_selected_action": [one.pk]})
    assert asked.status_code == 200 and b'name="confirm"' in asked.content
    assert Conversation.objects.filter(pk=one.pk).exists()
    # …then erases.
    done = client.post(
        url, {"action": "erase_resident_data", "_selected_action": [one.pk], "confirm": "yes"}
    )
    assert done.status_code == 302
    assert not Conversation.objects.filter(pk=one.pk).exists()
    assert audit_rows(AuditAction.ERASE_RESIDENT_DATA) == [(operator.email, one.pk)]


def test_admin_actions_are_for_administrators_only(client, service, professional):
    one = chat(service, professional)
    staff_admin = UserFactory(is_superuser=False)
    client.force_login(staff_admin, backend="django.contrib.auth.backends.ModelBackend")
    client.post(
        "/admin/conversations/conversation/",
        {"action": "erase_resident_data", "_selected_action": [one.pk], "confirm": "yes"},
    )
    assert Conversation.objects.filter(pk=one.pk).exists()
    assert not AuditEntry.objects.filter(action=AuditAction.ERASE_RESIDENT_DATA).exists()


def test_erase_removes_the_stored_files_after_the_commit(
    service, professional, operator, settings, tmp_path, django_capture_on_commit_callbacks
):
    from django.core.files.base import ContentFile

    from attachments.models import Attachment
    from attachments.storage import attachment_storage, new_storage_name

    settings.ATTACHMENT_ROOT = tmp_path
    one = chat(service, professional)
    storage = attachment_storage()
    name = storage.save(new_storage_name(one.pk), ContentFile(b"%PDF-1.4 lab results"))
    Attachment.objects.create(
        conversation=one,
        uploaded_by_kind=ActorKind.RESIDENT,
        name="results.pdf",
        content_type="application/pdf",
        size=20,
        storage_name=name,
        sha256="0" * 64,
    )
    exported = json.loads(
        run("export_resident_data", "--conversation", str(one.pk), "--operator", operator.email)
    )
    assert exported["conversations"][0]["attachments"][0]["name"] == "results.pdf"

    with django_capture_on_commit_callbacks(execute=True):
        run(
            "erase_resident_data",
            "--conversation",
            str(one.pk),
            "--yes",
            "--operator",
            operator.email,
        )
    assert not storage.exists(name)
    assert not Attachment.objects.exists()
