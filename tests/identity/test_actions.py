"""The handoff's rules in the actions: who may ask, expiry, the timeline and the
live announcements, and the audited reveal of the identity code."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conversations.models import AuditAction, AuditEntry, ConversationEvent, ConversationStatus
from identity import actions, timeline
from identity.errors import IdentityError
from identity.models import FailureCode, IdentificationRequest, RequestState
from identity.providers import Site
from tests.factories import ConversationFactory, UserFactory

pytestmark = pytest.mark.django_db


def kinds(conversation):
    return list(
        ConversationEvent.objects.filter(
            conversation=conversation, kind__startswith="identification"
        )
        .order_by("id")
        .values_list("kind", flat=True)
    )


def test_only_the_assigned_professional_of_an_active_conversation_may_ask(
    active_conversation, professional, service
):
    colleague = UserFactory()
    service.professionals.add(colleague)
    with pytest.raises(IdentityError) as refused:
        actions.request_identification(
            conversation_id=active_conversation.pk, professional=colleague
        )
    assert refused.value.code == "not_assigned"

    waiting = ConversationFactory(service=service)
    with pytest.raises(IdentityError) as refused:
        actions.request_identification(conversation_id=waiting.pk, professional=professional)
    assert refused.value.code == "not_assigned"

    closed = ConversationFactory(
        service=service, status=ConversationStatus.CLOSED, assigned_to=professional
    )
    with pytest.raises(IdentityError) as refused:
        actions.request_identification(conversation_id=closed.pk, professional=professional)
    assert refused.value.code == "conversation_closed"
    assert not IdentificationRequest.objects.exists()


def test_a_request_expires_after_the_configured_minutes(
    active_conversation, professional, settings
):
    settings.IDENTIFICATION_REQUEST_MINUTES = 7
    now = timezone.now()
    request = actions.request_identification(
        conversation_id=active_conversation.pk, professional=professional, now=now
    )
    assert request.expires_at == now + timedelta(minutes=7)
    assert len(request.token) >= 40


def test_a_new_request_replaces_the_pending_one(active_conversation, professional):
    first = actions.request_identification(
        conversation_id=active_conversation.pk, professional=professional
    )
    second = actions.request_identification(
        conversation_id=active_conversation.pk, professional=professional
    )

    first.refresh_from_db()
    assert first.state == RequestState.CANCELLED
    assert first.failure_code == FailureCode.SUPERSEDED
    assert second.state == RequestState.REQUESTED
    assert kinds(active_conversation) == [
        timeline.REQUESTED,
        timeline.CANCELLED,
        timeline.REQUESTED,
    ]


def test_each_state_change_is_on_the_timeline_and_announced_after_commit(
    flow, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        flow.identify()

    assert kinds(flow.conversation) == [timeline.REQUESTED, timeline.STARTED, timeline.COMPLETED]
    changes = [e.change for e in published if e.type == "conversation.changed"]
    assert changes == [timeline.REQUESTED, timeline.STARTED, timeline.COMPLETED]
    completed = ConversationEvent.objects.get(
        conversation=flow.conversation, kind=timeline.COMPLETED
    )
    assert set(completed.payload) == {"request", "provider", "level", "person", "again"}
    assert "010280-952L" not in str(completed.payload) and "Tessa" not in str(completed.payload)


def test_a_failure_is_on_the_timeline_with_its_code(
    flow, published, django_capture_on_commit_callbacks
):
    flow.ask()
    flow.open_link()
    flow.choose(action="cancel")
    with django_capture_on_commit_callbacks(execute=True):
        flow.come_back()

    event = ConversationEvent.objects.filter(conversation=flow.conversation).latest("id")
    assert event.kind == timeline.CANCELLED
    assert event.payload == {"request": flow.request.pk, "code": "cancelled"}
    assert [e.change for e in published if e.type == "conversation.changed"] == [timeline.CANCELLED]


def test_the_sweep_expires_pending_requests_past_their_time(
    active_conversation, professional, service
):
    now = timezone.now()
    late = actions.request_identification(
        conversation_id=active_conversation.pk, professional=professional, now=now
    )
    other = ConversationFactory(
        service=service, status=ConversationStatus.ACTIVE, assigned_to=professional
    )
    fresh = actions.request_identification(
        conversation_id=other.pk, professional=professional, now=now + timedelta(minutes=8)
    )

    assert actions.expire_identification_requests(now=now + timedelta(minutes=5)) == 0
    assert actions.expire_identification_requests(now=now + timedelta(minutes=11)) == 1
    # A request asked about directly expires only when its time is up.
    assert not actions.expire_identification_request(
        request_id=fresh.pk, now=now + timedelta(minutes=11)
    )

    late.refresh_from_db()
    fresh.refresh_from_db()
    assert (late.state, fresh.state) == (RequestState.EXPIRED, RequestState.REQUESTED)
    assert kinds(active_conversation)[-1] == timeline.EXPIRED


def test_one_failing_request_does_not_stop_the_sweep(
    active_conversation, professional, service, monkeypatch
):
    now = timezone.now()
    first = actions.request_identification(
        conversation_id=active_conversation.pk, professional=professional, now=now
    )
    other = ConversationFactory(
        service=service, status=ConversationStatus.ACTIVE, assigned_to=professional
    )
    second = actions.request_identification(
        conversation_id=other.pk, professional=professional, now=now
    )
    real = actions.expire_identification_request

    def flaky(*, request_id, now):
        if request_id == first.pk:
            raise RuntimeError("boom")
        return real(request_id=request_id, now=now)

    monkeypatch.setattr(actions, "expire_identification_request", flaky)

    assert actions.expire_identification_requests(now=now + timedelta(minutes=11)) == 1
    second.refresh_from_db()
    assert second.state == RequestState.EXPIRED


def test_the_link_expires_without_the_sweep(flow):
    request = flow.ask()
    with pytest.raises(IdentityError) as refused:
        actions.start_identification(
            token=request.token,
            session=flow.browser.session,
            site=Site("http://testserver"),
            now=request.expires_at,
        )
    assert refused.value.code == "expired"
    request.refresh_from_db()
    assert request.state == RequestState.EXPIRED


# --- reveal -------------------------------------------------------------------------
def test_the_assigned_professional_reveals_the_code_and_it_is_audited(flow, professional):
    flow.identify()

    code = actions.reveal_hetu(
        conversation_id=flow.conversation.pk, professional=professional, address="192.0.2.1"
    )

    assert code == "010280-952L"
    entry = AuditEntry.objects.get(action=AuditAction.REVEAL_IDENTITY)
    assert (entry.user_id, entry.conversation_id, entry.address) == (
        professional.pk,
        flow.conversation.pk,
        "192.0.2.1",
    )
    assert "952L" not in entry.detail


def test_nobody_else_reveals_the_code(flow, service):
    flow.identify()
    colleague = UserFactory()
    service.professionals.add(colleague)
    stranger = UserFactory()

    for user, code in ((colleague, "not_assigned"), (stranger, "not_found")):
        with pytest.raises(IdentityError) as refused:
            actions.reveal_hetu(conversation_id=flow.conversation.pk, professional=user)
        assert refused.value.code == code
    assert not AuditEntry.objects.filter(action=AuditAction.REVEAL_IDENTITY).exists()


def test_there_is_nothing_to_reveal_before_identification_or_for_eidas(flow, professional):
    with pytest.raises(IdentityError) as refused:
        actions.reveal_hetu(conversation_id=flow.conversation.pk, professional=professional)
    assert refused.value.code == "not_identified"

    flow.ask()
    flow.open_link()
    flow.choose(action="eidas")
    flow.come_back()
    with pytest.raises(IdentityError) as refused:
        actions.reveal_hetu(conversation_id=flow.conversation.pk, professional=professional)
    assert refused.value.code == "no_identity_code"
    assert not AuditEntry.objects.filter(action=AuditAction.REVEAL_IDENTITY).exists()


def test_the_identity_goes_with_the_conversation(flow):
    from identity.models import IdentityBinding

    flow.identify()
    flow.conversation.delete()
    assert not IdentityBinding.objects.exists()
    assert not IdentificationRequest.objects.exists()


def test_retention_forgets_the_person(flow):
    from identity.models import IdentityBinding

    flow.identify()
    assert actions.forget_identity(conversation_id=flow.conversation.pk)
    assert not IdentityBinding.objects.exists()
    assert not actions.forget_identity(conversation_id=flow.conversation.pk)
