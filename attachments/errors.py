"""Refusals of an upload or a download: a stable code, a message for the person
in their language, and the HTTP status the upload endpoint answers with."""

from django.utils.translation import gettext_lazy as _

from conversations.errors import DomainError

MESSAGES = {
    "not_found": _("No such conversation, or it is not yours."),
    "conversation_closed": _("This conversation has ended."),
    "not_active": _("Files can be sent once a professional has taken the conversation."),
    "not_identified": _("Files can be sent only after you have identified yourself in this chat."),
    "peer_not_identified": _("Files can be sent only after the resident has been identified."),
    "not_assigned": _("This conversation is not assigned to you."),
    "resident_left": _("The resident has left the conversation."),
    "no_file": _("Choose a file to send."),
    "empty_file": _("The file is empty."),
    "too_large": _("The file is too large. The largest allowed size is %(limit)s."),
    "conversation_full": _("No more files can be sent in this conversation."),
    "rate_limited": _("Too many files at once. Wait a moment and try again."),
    "invalid_name": _("The file name is not allowed. Rename the file and try again."),
    "unsupported_type": _(
        "This type of file cannot be sent. Allowed: PDF, JPEG, PNG, HEIC, text, DOCX and ODT."
    ),
    "type_mismatch": _(
        "The file's content does not match its name or type. Check the file and try again."
    ),
    "executable": _("Programs and scripts cannot be sent."),
    "archive": _("Archives (such as ZIP files) cannot be sent. Send the files one by one."),
    "unsafe_content": _(
        "The file contains active content (such as scripts or macros) and cannot be sent."
    ),
    "damaged": _("The file seems to be damaged and cannot be sent."),
    "infected": _("The file was refused because it may be harmful."),
    "scan_unavailable": _("Files cannot be checked right now. Please try again in a moment."),
    "csrf_failed": _("The page has expired. Reload the page and try again."),
}

STATUS = {
    "not_found": 404,
    "conversation_closed": 409,
    "not_active": 409,
    "not_identified": 403,
    "peer_not_identified": 403,
    "not_assigned": 403,
    "resident_left": 409,
    "too_large": 413,
    "conversation_full": 409,
    "rate_limited": 429,
    "unsupported_type": 415,
    "type_mismatch": 415,
    "executable": 415,
    "archive": 415,
    "unsafe_content": 422,
    "damaged": 422,
    "infected": 422,
    "scan_unavailable": 503,
    "csrf_failed": 403,
}


class AttachmentError(DomainError):
    messages = MESSAGES

    def __init__(self, code: str, detail: str | None = None, **params: object):
        super().__init__(code, detail)
        self.params = params

    @property
    def message(self) -> str:
        text = str(self.messages[self.code])
        return text % self.params if self.params else text

    @property
    def status(self) -> int:
        return STATUS.get(self.code, 400)
