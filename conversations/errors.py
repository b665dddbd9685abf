"""Domain errors: every refusal has a stable code that clients can act on."""

from collections.abc import Mapping
from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _

MESSAGES = {
    "service_unavailable": _("This service is not available."),
    "service_closed": _("This service is closed right now."),
    "conversation_closed": _("This conversation has ended."),
    "already_claimed": _("A colleague already took this conversation."),
    "not_member": _("You do not work in this service."),
    "language_reserved": _(
        "This conversation is offered first to professionals who speak its language. "
        "It is offered to everyone after the service's fallback wait."
    ),
    "not_assigned": _("This conversation is not assigned to you."),
    "limit_reached": _("You already have as many active chats as you can take."),
    "invalid_transfer": _("This conversation cannot be transferred there."),
    "colleague_unavailable": _("Your colleague is away right now; choose someone else."),
    "colleague_limit_reached": _("Your colleague already has as many chats as they can take."),
    "invalid_input": _("Some of the information is missing or not valid."),
    "empty_message": _("The message is empty."),
    "message_too_long": _("The message is too long."),
    "resident_left": _("The resident has left the conversation."),
    "not_found": _("No such conversation, or it is not yours."),
}


class DomainError(Exception):
    """A rule of the service refused the request. `code` is part of the protocol.
    An app with its own rules subclasses this with its own `messages`; sockets
    answer every DomainError alike."""

    messages: ClassVar[Mapping[str, Any]] = MESSAGES

    def __init__(self, code: str, detail: str | None = None):
        if code not in self.messages:
            raise ValueError(f"unknown {type(self).__name__} code {code!r}")
        self.code = code
        self.detail = detail
        super().__init__(code)

    @property
    def message(self) -> str:
        return str(self.messages[self.code])
