"""One resident's data, exported or erased on request (the data subject's rights).

Both take conversation ids, found by `selectors.conversations_of_person` for an
identified person or given by the operator for one conversation, and write one
audit row per conversation (who, what, when; never the data itself). The audit
row survives the erasure: `AuditEntry.conversation_id` is a plain number.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import transaction
from django.utils import timezone

from attachments.actions import delete_for_conversation as delete_attachments
from attachments.models import Attachment
from conversations.actions import record_audit
from conversations.models import AuditAction, Conversation, ConversationStatus

EXPORT_FORMAT = "chatservice.resident-data.v1"


class ErasureRefused(Exception):
    """A conversation is still open: close it first (the resident or the
    professional would otherwise keep writing into a conversation that vanishes)."""


def _conversation_data(conversation: Conversation) -> dict[str, Any]:
    from identity import crypto

    identity = getattr(conversation, "identity", None)
    return {
        "id": conversation.pk,
        "service": conversation.service.slug,
        "status": conversation.status,
        "language": conversation.language,
        "started": conversation.created_at.isoformat(),
        "taken": conversation.claimed_at.isoformat() if conversation.claimed_at else None,
        "ended": conversation.closed_at.isoformat() if conversation.closed_at else None,
        "resident": {
            "name": conversation.resident_name,
            "phone": conversation.resident_phone,
            "matter": conversation.matter,
        },
        "identity": None
        if identity is None
        else {
            "given_names": identity.given_names,
            "family_name": identity.family_name,
            "birth_date": identity.birth_date.isoformat() if identity.birth_date else None,
            "identity_code": crypto.decrypt_hetu(identity.hetu_ciphertext)
            if identity.hetu_ciphertext
            else None,
            "level": identity.level,
            "identified": identity.identified_at.isoformat(),
        },
        "messages": [
            {
                "seq": m.seq,
                "author_kind": m.author_kind,
                "author": m.author.first_name if m.author else None,
                "body": m.body,
                "created": m.created_at.isoformat(),
            }
            for m in conversation.messages.order_by("seq").select_related("author")
        ],
        # Notes the professionals wrote about the resident are the resident's data too.
        "notes": [
            {
                "author": n.author.first_name if n.author else None,
                "body": n.body,
                "created": n.created_at.isoformat(),
            }
            for n in conversation.notes.order_by("created_at", "id").select_related("author")
        ],
        "events": [
            {"kind": e.kind, "actor_kind": e.actor_kind, "created": e.created_at.isoformat()}
            for e in conversation.events.order_by("created_at", "id")
        ],
        # The files' details; the files themselves are handed over from the
        # attachment storage (docs/deployment.md, "Data protection").
        "attachments": [
            {
                "name": a.name,
                "content_type": a.content_type,
                "size": a.size,
                "sha256": a.sha256,
                "storage_name": a.storage_name,
                "created": a.created_at.isoformat(),
            }
            for a in Attachment.objects.filter(conversation=conversation).order_by(
                "created_at", "id"
            )
        ],
    }


def export_resident_data(
    *, user: AbstractUser, conversation_ids: list[int], reason: str = ""
) -> dict[str, Any]:
    """Everything stored about the resident of these conversations, as JSON-ready
    data; one EXPORT_RESIDENT_DATA audit row per conversation. `reason` (e.g. the
    request's case number) goes to the audit row: no personal data there."""
    with transaction.atomic():
        conversations = list(
            Conversation.objects.filter(pk__in=conversation_ids)
            .select_related("service", "identity")
            .order_by("created_at", "id")
        )
        missing = set(conversation_ids) - {c.pk for c in conversations}
        if missing:
            raise Conversation.DoesNotExist(f"no conversation {sorted(missing)}")
        for conversation in conversations:
            record_audit(
                user=user,
                action=AuditAction.EXPORT_RESIDENT_DATA,
                conversation_id=conversation.pk,
                detail=reason,
            )
        return {
            "format": EXPORT_FORMAT,
            "exported": timezone.now().isoformat(),
            "conversations": [_conversation_data(c) for c in conversations],
        }


def erase_resident_data(
    *, user: AbstractUser, conversation_ids: list[int], reason: str = ""
) -> int:
    """Delete these conversations with everything that hangs on them (messages,
    notes, timeline, identity, identification requests, connection rows, the
    attachments' rows and, after the commit, their files); one
    ERASE_RESIDENT_DATA audit row each, which stays. Open conversations are
    refused. Returns how many were erased."""
    with transaction.atomic():
        conversations = list(
            Conversation.objects.select_for_update().filter(pk__in=conversation_ids)
        )
        missing = set(conversation_ids) - {c.pk for c in conversations}
        if missing:
            raise Conversation.DoesNotExist(f"no conversation {sorted(missing)}")
        still_open = [c.pk for c in conversations if c.status != ConversationStatus.CLOSED]
        if still_open:
            raise ErasureRefused(f"conversations {still_open} are still open: close them first")
        for conversation in conversations:
            record_audit(
                user=user,
                action=AuditAction.ERASE_RESIDENT_DATA,
                conversation_id=conversation.pk,
                detail=reason,
            )
            # Stored files go after the commit (a rolled-back erasure keeps them).
            delete_attachments(conversation.pk)
            # The deletion collector cascades past the append-only managers
            # (conversations.models.AppendOnlyQuerySet).
            conversation.delete()
        return len(conversations)
