"""The dashboard and supervisor pages, the audit log and the admin."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conversations import actions
from conversations.models import Conversation
from staff.models import AuditEntry, CannedReply, Presence, StaffConnection
from staff.selectors import staff_socket_state, supervisor_figures
from tests.factories import ConversationFactory, ServiceFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(client, professional):
    client.force_login(professional, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_dashboard_shows_my_services_replies_and_no_other_data(logged_in, professional, service):
    other = ServiceFactory()
    CannedReply.objects.create(
        service=service, language="sv", shortcut="hej", title="Hej", body="Hej!"
    )
    CannedReply.objects.create(
        service=other, language="sv", shortcut="other", title="X", body="Not mine"
    )
    ConversationFactory(service=other, resident_name="Annan Tjänst")
    response = logged_in.get("/staff/")
    assert response.status_code == 200
    config = response.context["config"]
    assert config["my_services"] == [service.pk]
    assert [r["shortcut"] for r in config["canned_replies"]] == ["hej"]
    assert (
        b"Annan Tjanst" not in response.content and "Annan Tjänst".encode() not in response.content
    )


def test_non_staff_cannot_open_the_dashboard(client):
    user = UserFactory(is_staff=False)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/staff/").status_code == 302


@pytest.mark.parametrize("waiting", [10, 500])
def test_dashboard_and_its_socket_state_use_constant_queries(
    logged_in, professional, service, django_assert_num_queries, waiting
):
    Conversation.objects.bulk_create(
        Conversation(
            service=service, resident_name=f"R{i}", resident_phone="+358401234567", matter="m"
        )
        for i in range(waiting)
    )
    with django_assert_num_queries(11):
        assert logged_in.get("/staff/").status_code == 200
    with django_assert_num_queries(3):
        state = staff_socket_state(user=professional)
    assert len(state["queue"]) == waiting


def test_supervisor_figures_from_fixture_data(service, professional, django_assert_num_queries):
    supervisor = UserFactory(is_supervisor=True)
    service.professionals.add(supervisor)
    # Midday today, so that every fixture time falls on the same local day.
    now = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
    # Two claimed (waits 4 and 6 min), one of them closed after 10 min; one abandoned; two waiting.
    a = ConversationFactory(service=service, created_at=now - timedelta(minutes=30))
    b = ConversationFactory(service=service, created_at=now - timedelta(minutes=20))
    c = ConversationFactory(service=service, created_at=now - timedelta(minutes=15))
    ConversationFactory(service=service, created_at=now - timedelta(minutes=12))
    ConversationFactory(service=service, created_at=now - timedelta(minutes=3))
    Conversation.objects.filter(pk=a.pk).update(
        status="closed",
        assigned_to=professional,
        claimed_at=now - timedelta(minutes=26),
        closed_at=now - timedelta(minutes=16),
        close_reason="guidance-given",
    )
    Conversation.objects.filter(pk=b.pk).update(
        status="active", assigned_to=professional, claimed_at=now - timedelta(minutes=14)
    )
    actions.mark_resident_left(conversation_id=c.pk)
    StaffConnection.objects.create(user=professional, channel_name="x", last_seen=now)
    professional.presence = Presence.AVAILABLE
    professional.save()
    ConversationFactory(service=ServiceFactory())  # another service: not counted

    with django_assert_num_queries(5):
        figures = supervisor_figures(user=supervisor, now=now)
    (row,) = figures["services"]
    assert (row["waiting"], row["active"], row["available"]) == (2, 1, 1)
    assert row["longest_wait_seconds"] == 12 * 60
    today = figures["today"]
    assert (today["started"], today["closed"], today["abandoned"]) == (5, 2, 1)
    assert today["average_wait_seconds"] == 5 * 60  # (4 + 6) / 2 minutes
    assert today["average_handling_seconds"] == 10 * 60


def test_supervisor_view_is_for_supervisors(client, professional):
    client.force_login(professional, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/staff/supervisor/").status_code == 403
    professional.is_supervisor = True
    professional.save()
    assert client.get("/staff/supervisor/").status_code == 200
    assert "today" in client.get("/staff/supervisor/figures/").json()


@pytest.fixture
def admin_client_mfa(client):
    admin = UserFactory(is_superuser=True, is_supervisor=True)
    client.force_login(admin, backend="django.contrib.auth.backends.ModelBackend")
    client.admin = admin
    return client


def test_viewing_a_conversation_in_admin_is_audited(admin_client_mfa, conversation):
    response = admin_client_mfa.get(
        f"/admin/conversations/conversation/{conversation.pk}/change/", REMOTE_ADDR="10.1.2.3"
    )
    assert response.status_code == 200
    entry = AuditEntry.objects.get()
    assert (entry.user, entry.action, entry.conversation_id, entry.address) == (
        admin_client_mfa.admin,
        "view_in_admin",
        conversation.pk,
        "10.1.2.3",
    )


def test_audit_log_is_read_only_and_exports_csv(admin_client_mfa, conversation, professional):
    entry = AuditEntry.objects.create(
        user=professional,
        action="open_conversation",
        conversation_id=conversation.pk,
        address="10.0.0.1",
    )
    url = f"/admin/staff/auditentry/{entry.pk}/change/"
    assert admin_client_mfa.get(url).status_code == 200  # view only
    admin_client_mfa.post(url, {"action": "view_transcript", "detail": "changed"})
    admin_client_mfa.post(f"/admin/staff/auditentry/{entry.pk}/delete/", {"post": "yes"})
    entry.refresh_from_db()
    assert entry.action == "open_conversation" and entry.detail == ""
    entry.detail = "x"
    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()
    response = admin_client_mfa.post(
        "/admin/staff/auditentry/", {"action": "export_csv", "_selected_action": [entry.pk]}
    )
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0] == "time,user,action,conversation,address,detail"
    assert f"{professional.email},open_conversation,{conversation.pk},10.0.0.1" in lines[1]
    assert AuditEntry.objects.filter(action="export_audit").count() == 1


def test_admin_cannot_edit_conversations(admin_client_mfa, conversation):
    url = f"/admin/conversations/conversation/{conversation.pk}/change/"
    admin_client_mfa.post(url, {"status": "closed"})
    conversation.refresh_from_db()
    assert conversation.status == "waiting"
    assert admin_client_mfa.get("/admin/conversations/conversation/add/").status_code == 403
