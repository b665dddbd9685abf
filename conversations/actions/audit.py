"""The audit log's one writer. Every app that shows resident data to staff
(dashboard, admin, identity, attachments, transcripts) appends here."""

from django.contrib.auth.models import AbstractUser

from conversations.models import AuditAction, AuditEntry


def record_audit(
    *,
    user: AbstractUser,
    action: AuditAction,
    conversation_id: int | None = None,
    detail: str = "",
    address: str | None = None,
) -> AuditEntry:
    """Append one audit row: `user` did `action` (on `conversation_id`) from
    `address`. `detail` must never hold personal data; it is cut to its column."""
    # By id: the user model (staff.User) lives above this app.
    return AuditEntry.objects.create(
        user_id=user.pk,
        action=action,
        conversation_id=conversation_id,
        detail=detail[:200],
        address=address,
    )
