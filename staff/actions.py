"""Writes started from the professional's side."""

from conversations import actions
from conversations.errors import DomainError
from conversations.models import Conversation, Service
from staff.models import User


def transfer_by_ids(
    *,
    conversation_id: int,
    by: User,
    to_service_id: int | None,
    to_professional_id: int | None,
    note: str = "",
) -> Conversation:
    """Resolve a transfer target given by id, then transfer."""
    to_service = to_professional = None
    if to_service_id is not None:
        to_service = Service.objects.filter(pk=to_service_id, is_active=True).first()
        if to_service is None:
            raise DomainError("invalid_transfer", "service")
    if to_professional_id is not None:
        to_professional = User.objects.filter(pk=to_professional_id, is_staff=True).first()
        if to_professional is None:
            raise DomainError("invalid_transfer", "colleague")
    return actions.transfer_conversation(
        conversation_id=conversation_id,
        by=by,
        to_service=to_service,
        to_professional=to_professional,
        note=note,
    )
