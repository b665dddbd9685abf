import pytest

from conversations import actions, selectors
from tests.factories import ConversationFactory, ServiceFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("waiting", [3, 40])
def test_queue_selector_uses_one_query_whatever_the_queue_length(
    service, django_assert_num_queries, waiting
):
    ConversationFactory.create_batch(waiting, service=service)
    with django_assert_num_queries(1):
        queue = selectors.waiting_conversations(service_ids=[service.pk])
    assert len(queue) == waiting


def test_queue_is_oldest_first_and_only_waiting(service, professional):
    first, second, third = ConversationFactory.create_batch(3, service=service)
    actions.claim_conversation(conversation_id=second.pk, professional=professional)
    assert [c.pk for c in selectors.waiting_conversations(service_ids=[service.pk])] == [
        first.pk,
        third.pk,
    ]
    assert selectors.queue_position(conversation=third) == 2
    second.refresh_from_db()
    assert selectors.queue_position(conversation=second) is None


def test_staff_sees_only_their_services(service, professional):
    mine = ConversationFactory(service=service)
    theirs = ConversationFactory(service=ServiceFactory())
    assert selectors.service_ids_for_staff(user=professional) == [service.pk]
    assert selectors.conversation_for_staff(user=professional, conversation_id=mine.pk) == mine
    assert selectors.conversation_for_staff(user=professional, conversation_id=theirs.pk) is None
    non_staff = UserFactory(is_staff=False)
    service.professionals.add(non_staff)
    assert selectors.conversation_for_staff(user=non_staff, conversation_id=mine.pk) is None
