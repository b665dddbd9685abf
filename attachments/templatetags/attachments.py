"""The chat page's server-rendered history with its files (one query)."""

from dataclasses import replace

from django import template

from attachments.selectors import infos_by_seq

register = template.Library()


@register.filter
def with_attachments(messages, conversation_id):
    """`messages` (conversations.events.MessageNew) with their `attachment` filled in."""
    messages = list(messages)
    infos = infos_by_seq(conversation_id=conversation_id, seqs=[m.seq for m in messages])
    return [replace(m, attachment=infos[m.seq]) if m.seq in infos else m for m in messages]


TYPE_LABELS = {
    "application/pdf": "PDF",
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/heic": "HEIC",
    "text/plain": "TXT",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
    "application/vnd.oasis.opendocument.text": "ODT",
}


@register.filter
def attachment_type(content_type: str) -> str:
    """A short name for a file's type: "PDF", "JPEG", …"""
    return TYPE_LABELS.get(content_type, content_type)


@register.simple_tag
def attachment_config(*, upload_url: str) -> dict:
    """What the pages' upload control needs: where to send, the limits, the
    accepted names, and its texts in the page's language."""
    from django.conf import settings
    from django.template.defaultfilters import filesizeformat
    from django.utils.translation import gettext as _

    from attachments.validation import KINDS, allowed_kinds

    kinds = sorted(allowed_kinds())
    return {
        "upload_url": upload_url,
        "max_bytes": settings.ATTACHMENT_MAX_BYTES,
        "accept": ",".join(ext for k in kinds for ext in KINDS[k].extensions),
        "types": TYPE_LABELS,
        "strings": {
            "too_large": _("The file is too large. The largest allowed size is %(limit)s.")
            % {"limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES)},
            "empty": _("The file is empty."),
            "sending": _("Sending %(name)s…"),
            "sent": _("%(name)s was sent."),
            "cancelled": _("Sending the file was cancelled."),
            "failed": _("The file could not be sent: %(reason)s"),
            "network": _("The connection was lost. Try again."),
            "drop": _("Drop the file to send it"),
            "download": _("(download)"),
        },
    }
