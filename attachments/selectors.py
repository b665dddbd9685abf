"""Reads of the attachments app. Permission-checked fetches say so in their name."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.contrib.sessions.backends.base import SessionBase
from django.db.models import Count, Sum
from django.urls import reverse

from attachments.models import Attachment, AttachmentState
from conversations import selectors as conversation_selectors


def info(attachment: Attachment) -> dict[str, Any]:
    """What both parties' pages show of a file (frames.AttachmentInfo)."""
    return {
        "id": str(attachment.public_id),
        "name": attachment.name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "url": reverse("attachments:download", args=[attachment.public_id]),
    }


def infos_by_seq(*, conversation_id: int, seqs: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The files shown as these messages of a conversation, by seq; one query."""
    seqs = list(seqs)
    if not seqs:
        return {}
    rows = Attachment.objects.filter(
        conversation_id=conversation_id,
        state=AttachmentState.CLEAN,
        message__seq__in=seqs,
    ).select_related("message")
    return {a.message.seq: info(a) for a in rows if a.message is not None}


def usage(*, conversation_id: int) -> tuple[int, int]:
    """How many files a conversation holds (quarantined ones too) and their bytes."""
    totals = Attachment.objects.filter(conversation_id=conversation_id).aggregate(
        n=Count("id"), size=Sum("size")
    )
    return totals["n"] or 0, totals["size"] or 0


def _clean(public_id: uuid.UUID):
    # Quarantined files are never downloadable, by anyone.
    return Attachment.objects.filter(public_id=public_id, state=AttachmentState.CLEAN)


def attachment_for_resident(*, session: SessionBase, public_id: uuid.UUID) -> Attachment | None:
    """A clean file of the conversation this browser session owns, or None
    (another conversation's file and a missing one look the same)."""
    conversation_id = session.get(conversation_selectors.SESSION_KEY)
    if not conversation_id:
        return None
    return _clean(public_id).filter(conversation_id=conversation_id).first()


def attachment_for_staff(*, user, public_id: uuid.UUID) -> Attachment | None:
    """A clean file of a conversation the professional may see
    (conversations.selectors.conversation_for_staff), or None."""
    attachment = _clean(public_id).first()
    if attachment is None:
        return None
    if (
        conversation_selectors.conversation_for_staff(
            user=user, conversation_id=attachment.conversation_id
        )
        is None
    ):
        return None
    return attachment
