"""Refusals of the call-back rules: stable codes, plain messages."""

from django.utils.translation import gettext_lazy as _

from conversations.errors import DomainError

MESSAGES = {
    "not_found": _("No such conversation, or it is not yours."),
    "not_assigned": _("This conversation is not assigned to you."),
    "conversation_closed": _("This conversation has ended."),
    "not_waiting": _("A professional has already taken your conversation."),
    "not_offered": _("A call-back is not offered right now: your turn is near."),
    "not_callback": _("This conversation is a chat, not a call-back."),
    "contact_requests_off": _("This service does not take contact requests."),
    "service_open": _("This service is open: start a chat instead."),
    "service_unavailable": _("This service is not available."),
    "invalid_input": _("Some of the information is missing or not valid."),
}


class CallbackError(DomainError):
    messages = MESSAGES
