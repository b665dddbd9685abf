"""Refusals of the identification handoff: a stable code, a plain message in the
person's language, and the HTTP status the pages answer with."""

from django.utils.translation import gettext_lazy as _

from conversations.errors import DomainError
from identity.models import FailureCode

MESSAGES = {
    # To the professional.
    "not_found": _("No such conversation among yours."),
    "not_assigned": _("This conversation is not assigned to you."),
    "conversation_closed": _("This conversation has ended."),
    "not_identified": _("The resident has not been identified in this conversation."),
    "no_identity_code": _("This person was identified without a Finnish personal identity code."),
    # To the resident opening the link.
    "link_not_found": _("This identification link is not valid."),
    "wrong_session": _(
        "This identification link works only in the browser where the chat is open. "
        "Open it from the chat window."
    ),
    "already_used": _(
        "This identification link has already been used. "
        "If you need to identify again, ask the professional in the chat for a new link."
    ),
    "expired": _(
        "This identification link has expired. Ask the professional in the chat for a new link."
    ),
    "replaced": _(
        "This identification link has been replaced by a newer one. Use the latest link in the chat."
    ),
    "unavailable": _(
        "The identification service cannot be reached right now. Please try again in a moment."
    ),
}
STATUS = {
    "link_not_found": 404,
    "not_found": 404,
    "wrong_session": 403,
    "not_assigned": 403,
    "already_used": 410,
    "expired": 410,
    "replaced": 410,
    "unavailable": 503,
}

# What the resident reads after the provider sent them back without success.
FAILURE_MESSAGES = {
    FailureCode.CANCELLED: _(
        "You cancelled the identification. You can continue in the chat without it, "
        "or ask the professional for a new link."
    ),
    FailureCode.EXPIRED: MESSAGES["expired"],
    FailureCode.WRONG_SESSION: MESSAGES["wrong_session"],
    FailureCode.REPLAYED: _(
        "This identification has already been handled. Return to the chat window."
    ),
    FailureCode.LEVEL_TOO_LOW: _(
        "The identification method you used is not strong enough for this service. "
        "Ask the professional for a new link and choose bank codes or a mobile certificate."
    ),
    FailureCode.DIFFERENT_PERSON: _(
        "You identified as a different person than the one already identified in this chat. "
        "Each chat is for one person only; nobody can do errands for someone else here."
    ),
    FailureCode.CONVERSATION_CLOSED: _("The chat has ended, so the identification was not used."),
}
GENERIC_FAILURE = _(
    "The identification could not be completed, and nothing was saved. "
    "Return to the chat and ask the professional for a new link."
)


def failure_message(code: str):
    return FAILURE_MESSAGES.get(code, GENERIC_FAILURE)  # type: ignore[call-overload]


class IdentityError(DomainError):
    """A rule of the handoff refused the request. `language` is the language to
    answer in when the conversation is known (else the browser's)."""

    messages = MESSAGES

    def __init__(self, code: str, *, language: str = ""):
        super().__init__(code)
        self.language = language

    @property
    def status(self) -> int:
        return STATUS.get(self.code, 400)
