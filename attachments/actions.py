"""Every write of the attachments app: upload (validate, quarantine, scan,
deliver), the audited staff download, and deletion with the conversation."""

from __future__ import annotations

import hashlib
import logging
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from attachments import ratelimit, scanning, selectors, validation
from attachments.errors import AttachmentError
from attachments.models import Attachment, AttachmentState
from attachments.storage import attachment_storage, new_storage_name
from conversations import realtime
from conversations import selectors as conversation_selectors
from conversations.actions import post_message, record_audit
from conversations.actions._common import StaffUser, locked
from conversations.events import MessageNew
from conversations.models import ActorKind, AuditAction, Conversation, ConversationStatus, Message
from identity import hetu

logger = logging.getLogger(__name__)


def check_gate(
    conversation: Conversation | None, *, uploader_kind: ActorKind, uploader: StaffUser | None
) -> Conversation:
    """Files only in an active conversation whose resident is identified; a
    professional only in one assigned to them. Checked before anything is read
    and again under the row lock before the file is delivered."""
    if conversation is None:
        raise AttachmentError("not_found")
    if conversation.status == ConversationStatus.CLOSED:
        raise AttachmentError("conversation_closed")
    if conversation.resident_left_at is not None:
        raise AttachmentError("resident_left")
    if uploader_kind == ActorKind.STAFF and (
        uploader is None or conversation.assigned_to_id != uploader.pk
    ):
        raise AttachmentError("not_assigned")
    if conversation.status != ConversationStatus.ACTIVE:
        raise AttachmentError("not_active")
    if conversation.identified_at is None:
        raise AttachmentError(
            "peer_not_identified" if uploader_kind == ActorKind.STAFF else "not_identified"
        )
    return conversation


def check_upload_allowed(
    *, conversation_id: int, uploader_kind: ActorKind, uploader: StaffUser | None = None
) -> Conversation:
    """The gate and the limits, before the request's file is read: a refused
    upload costs no parsing, no storage and no scan."""
    conversation = check_gate(
        Conversation.objects.filter(pk=conversation_id).first(),
        uploader_kind=uploader_kind,
        uploader=uploader,
    )
    if not ratelimit.hit(conversation_id=conversation_id, party=uploader_kind):
        raise AttachmentError("rate_limited")
    count, _size = selectors.usage(conversation_id=conversation_id)
    if count >= settings.ATTACHMENT_MAX_PER_CONVERSATION:
        raise AttachmentError("conversation_full")
    return conversation


def upload_attachment(
    *,
    conversation_id: int,
    uploader_kind: ActorKind,
    data: bytes,
    name: str,
    declared_type: str,
    uploader: StaffUser | None = None,
) -> Attachment:
    """Validate, quarantine, scan and deliver one file as a chat message.

    The gate (check_upload_allowed) has passed. The content decides the type
    (attachments.validation); the bytes to keep (images re-encoded) are stored
    under a random name as `quarantined`, then the original bytes are scanned.
    Clean: in one transaction, under the conversation's row lock, the gate is
    checked again, the message gets the next seq, the file becomes `clean` and
    `message.new` (with the attachment) goes to both parties after the commit.
    Infected: the file is deleted and both parties are told in the chat. A
    scanner that cannot answer refuses the upload (`scan_unavailable`); nothing
    is kept. Raises AttachmentError with the reason for every refusal."""
    count, used = selectors.usage(conversation_id=conversation_id)
    if count >= settings.ATTACHMENT_MAX_PER_CONVERSATION or (
        used + len(data) > settings.ATTACHMENT_MAX_CONVERSATION_BYTES
    ):
        raise AttachmentError("conversation_full")
    checked = validation.check(data=data, name=name, declared_type=declared_type)
    # A personal identity code in a file name is hidden like one in a message.
    display_name, _masked = hetu.mask(checked.name)
    storage = attachment_storage()
    stored_name = storage.save(new_storage_name(conversation_id), ContentFile(checked.data))
    attachment = Attachment.objects.create(
        conversation_id=conversation_id,
        uploaded_by_kind=uploader_kind,
        uploaded_by=uploader if uploader_kind == ActorKind.STAFF else None,
        name=display_name,
        content_type=checked.content_type,
        size=len(checked.data),
        storage_name=stored_name,
        sha256=hashlib.sha256(checked.data).hexdigest(),
    )
    try:
        result = scanning.get_scanner().scan(data)
    except scanning.ScannerUnavailable as exc:
        logger.warning("attachment scan unavailable (conversation %s): %s", conversation_id, exc)
        _discard(attachment)
        raise AttachmentError("scan_unavailable") from None
    except Exception:
        logger.exception("attachment scan failed (conversation %s)", conversation_id)
        _discard(attachment)
        raise AttachmentError("scan_unavailable") from None
    if not result.clean:
        logger.warning(
            "attachment refused by the scanner (conversation %s): %s",
            conversation_id,
            result.signature,
        )
        _discard(attachment)
        _tell_both_parties_refused(conversation_id)
        raise AttachmentError("infected")
    try:
        return _deliver(attachment, uploader_kind=uploader_kind, uploader=uploader)
    except AttachmentError:
        _discard(attachment)
        raise


@transaction.atomic
def _deliver(
    attachment: Attachment, *, uploader_kind: ActorKind, uploader: StaffUser | None
) -> Attachment:
    conversation = locked(attachment.conversation_id)
    check_gate(conversation, uploader_kind=uploader_kind, uploader=uploader)
    seq = conversation.last_seq + 1
    Conversation.objects.filter(pk=conversation.pk).update(last_seq=seq)
    conversation.last_seq = seq
    author = uploader if uploader_kind == ActorKind.STAFF else None
    message = Message.objects.create(
        conversation=conversation,
        seq=seq,
        author_kind=uploader_kind,
        author=author,
        body=attachment.name,
        client_id=f"file-{attachment.public_id.hex}",
    )
    attachment.message = message
    attachment.state = AttachmentState.CLEAN
    attachment.scanned_at = timezone.now()
    attachment.save(update_fields=["message", "state", "scanned_at"])
    name = conversation_selectors.author_name(
        author_kind=uploader_kind, author=author, conversation=conversation
    )
    realtime.publish(MessageNew.from_message(message, name, selectors.info(attachment)))
    return attachment


def _discard(attachment: Attachment) -> None:
    """A refused file leaves nothing behind: the bytes, then the row."""
    try:
        attachment_storage().delete(attachment.storage_name)
    finally:
        Attachment.objects.filter(pk=attachment.pk).delete()


def _tell_both_parties_refused(conversation_id: int) -> None:
    """A system message in the chat, in the conversation's language, so the
    professional knows a file was refused as well as the sender does."""
    language = (
        Conversation.objects.filter(pk=conversation_id).values_list("language", flat=True).first()
    )
    with translation.override(language or settings.LANGUAGE_CODE):
        body = _("A file was refused because it may be harmful. It was not delivered.")
    try:
        post_message(
            conversation_id=conversation_id,
            author_kind=ActorKind.SYSTEM,
            body=body,
            client_id=f"scan-{uuid.uuid4().hex}",
        )
    except Exception:  # the conversation just closed: the sender still gets the error
        logger.warning("could not post the refusal notice (conversation %s)", conversation_id)


def record_staff_download(*, user: StaffUser, attachment: Attachment, address: str | None) -> None:
    """Every professional's download is in the audit log (the file by its id, never its name)."""
    record_audit(
        user=user,
        action=AuditAction.DOWNLOAD_ATTACHMENT,
        conversation_id=attachment.conversation_id,
        detail=f"attachment {attachment.public_id}",
        address=address,
    )


def delete_for_conversation(conversation_id: int) -> int:
    """Delete a conversation's files: the rows now, the stored bytes after the
    commit (a rolled-back purge keeps both). For the retention purge
    (closing.actions.purge_conversation), before it deletes the conversation.
    Returns how many files there were."""
    rows = list(
        Attachment.objects.filter(conversation_id=conversation_id).values_list("pk", "storage_name")
    )
    if not rows:
        return 0
    Attachment.objects.filter(pk__in=[pk for pk, _name in rows]).delete()
    names = [name for _pk, name in rows]

    def delete_files() -> None:
        storage = attachment_storage()
        for name in names:
            try:
                storage.delete(name)
            except Exception:  # one missing file never stops the rest
                logger.warning(
                    "deleting an attachment file failed (conversation %s)", conversation_id
                )

    transaction.on_commit(delete_files)
    return len(rows)
