"""Refusals of the video call rules: stable codes, plain messages."""

from django.utils.translation import gettext_lazy as _

from conversations.errors import DomainError

MESSAGES = {
    "not_assigned": _("This conversation is not assigned to you."),
    "conversation_closed": _("This conversation has ended."),
    "call_open": _("A video call is already asked for or in progress."),
    "no_call": _("There is no video call to answer in this conversation."),
    "not_consented": _("The resident has not allowed the video call."),
    "check_unavailable": _("The connection test is not available right now. Try again soon."),
    "check_busy": _("Too many connection tests are running. Try again in a minute."),
    "invalid_offer": _("The browser's connection offer was not valid."),
}


class VideoError(DomainError):
    messages = MESSAGES
