"""The audit log in the core, and append-only logs that refuse bulk changes too."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models import ProtectedError

from conversations.actions import record_audit
from conversations.models import (
    AppendOnlyError,
    AuditAction,
    AuditEntry,
    Conversation,
    ConversationEvent,
    Message,
)
from tests.factories import ConversationFactory, UserFactory

pytestmark = pytest.mark.django_db

LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


@pytest.fixture
def event(conversation):
    return ConversationEvent.objects.create(
        conversation=conversation, kind="opened", actor_kind="resident"
    )


@pytest.fixture
def entry(professional, conversation):
    return record_audit(
        user=professional,
        action=AuditAction.OPEN_CONVERSATION,
        conversation_id=conversation.pk,
        address="10.0.0.1",
    )


def test_record_audit_appends_one_row_without_long_details(professional):
    entry = record_audit(user=professional, action=AuditAction.EXPORT_AUDIT, detail="x" * 300)
    assert AuditEntry.objects.get() == entry
    assert (entry.user, entry.action, entry.detail) == (professional, "export_audit", "x" * 200)


@pytest.mark.parametrize("model", ["audit", "event"])
def test_append_only_rows_refuse_save_and_delete(model, entry, event):
    row = entry if model == "audit" else event
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()
    assert type(row).objects.filter(pk=row.pk).exists()


def backdated(queryset):
    rows = list(queryset)
    for row in rows:
        row.created_at = LONG_AGO
    return rows


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda qs: qs.update(created_at=LONG_AGO), id="update"),
        pytest.param(lambda qs: qs.delete(), id="delete"),
        pytest.param(
            lambda qs: qs.model.objects.bulk_update(backdated(qs), ["created_at"]),
            id="bulk_update",
        ),
    ],
)
def test_append_only_querysets_refuse_bulk_changes(change, entry, event):
    for model, row in [(AuditEntry, entry), (ConversationEvent, event)]:
        before = model.objects.filter(pk=row.pk).values().get()
        for queryset in [model.objects.filter(pk=row.pk), model.objects.all()]:
            # A savepoint: bulk_update's own atomic block has none.
            with pytest.raises(AppendOnlyError), transaction.atomic():
                change(queryset)
        assert model.objects.filter(pk=row.pk).values().get() == before


def test_a_conversations_timeline_refuses_bulk_changes_through_the_relation(conversation, event):
    with pytest.raises(AppendOnlyError):
        conversation.events.all().delete()
    with pytest.raises(AppendOnlyError):
        conversation.events.update(kind="closed")
    assert conversation.events.get().kind == "opened"


async def test_async_bulk_changes_are_refused_too(event):
    with pytest.raises(AppendOnlyError):
        await ConversationEvent.objects.filter(pk=event.pk).aupdate(kind="closed")
    with pytest.raises(AppendOnlyError):
        await ConversationEvent.objects.filter(pk=event.pk).adelete()


def test_deleting_a_conversation_takes_its_timeline_and_keeps_the_audit_log(
    conversation, event, entry
):
    """A retention purge deletes conversations: the cascade (Django's collector
    uses the base manager and a raw delete) must still remove the timeline, and
    the audit trail must stay."""
    Message.objects.create(
        conversation=conversation, seq=1, author_kind="resident", body="hej", client_id="c1"
    )
    other = ConversationFactory(service=conversation.service)
    ConversationEvent.objects.create(conversation=other, kind="opened", actor_kind="resident")

    conversation.delete()

    assert not Conversation.objects.filter(pk=conversation.pk).exists()
    assert not ConversationEvent.objects.filter(conversation_id=conversation.pk).exists()
    assert not Message.objects.filter(conversation_id=conversation.pk).exists()
    assert ConversationEvent.objects.filter(conversation=other).count() == 1
    assert AuditEntry.objects.get() == entry  # a plain number, not a foreign key


def test_deleting_a_purged_services_conversations_in_bulk_works(service, event):
    """Conversation is not append-only: a purge may delete a queryset of them."""
    Conversation.objects.filter(service=service).delete()
    assert not ConversationEvent.objects.exists()


def test_deleting_an_actor_keeps_the_event_without_them(conversation):
    colleague = UserFactory()
    event = ConversationEvent.objects.create(
        conversation=conversation, kind="claimed", actor_kind="staff", actor=colleague
    )
    colleague.delete()
    assert ConversationEvent.objects.values_list("pk", "actor_id").get() == (event.pk, None)


def test_a_user_with_audit_rows_cannot_be_deleted(entry, professional):
    with pytest.raises(ProtectedError):
        professional.delete()


BEFORE = [
    ("conversations", "0003_internalnote"),
    ("staff", "0002_closereasonoption_user_is_supervisor_and_more"),
]
AFTER = [("conversations", "0004_auditentry"), ("staff", "0003_move_auditentry_to_conversations")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_moving_the_audit_log_keeps_its_rows_and_permissions():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    try:
        old_apps = _migrate(BEFORE)
        OldUser = old_apps.get_model("staff", "User")
        OldEntry = old_apps.get_model("staff", "AuditEntry")
        user = OldUser.objects.create(username="auditor", email="auditor@example.org")
        rows = [
            OldEntry.objects.create(user=user, action="open_conversation", conversation_id=7),
            OldEntry.objects.create(user=user, action="export_audit", detail="d", address="::1"),
        ]
        old_type = ContentType.objects.get_or_create(app_label="staff", model="auditentry")[0]
        permission = Permission.objects.get_or_create(
            content_type=old_type, codename="view_auditentry", defaults={"name": "Can view"}
        )[0]

        new_apps = _migrate(AFTER)
        NewEntry = new_apps.get_model("conversations", "AuditEntry")

        tables = connection.introspection.table_names()
        assert "conversations_auditentry" in tables and "staff_auditentry" not in tables
        moved = list(
            NewEntry.objects.order_by("pk").values_list(
                "pk", "user_id", "action", "conversation_id", "detail", "address"
            )
        )
        assert moved == [
            (rows[0].pk, user.pk, "open_conversation", 7, "", None),
            (rows[1].pk, user.pk, "export_audit", None, "d", "::1"),
        ]
        ContentType.objects.clear_cache()
        assert ContentType.objects.get(app_label="conversations", model="auditentry") == old_type
        permission.refresh_from_db()
        assert permission.content_type_id == old_type.pk
        # New rows continue after the old ones.
        assert NewEntry.objects.create(user_id=user.pk, action="export_audit").pk > rows[1].pk
    finally:
        _migrate(latest)
        ContentType.objects.clear_cache()
