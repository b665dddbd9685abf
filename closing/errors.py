"""Refusals on the resident's end screen, each with a code and a text."""

from django.utils.translation import gettext_lazy as _

from conversations.errors import DomainError

MESSAGES = {
    "invalid_token": _("This link or form is not valid. Reload the page and try again."),
    "link_expired": _("This possibility has expired."),
    "token_used": _("This form was already sent. Reload the page to send again."),
    "conversation_open": _("The conversation has not ended yet."),
    "transcripts_off": _("This service does not send conversations by e-mail."),
    "invalid_email": _("Enter a valid e-mail address."),
    "rate_limited": _("The conversation has already been sent as many times as is allowed."),
    "nothing_to_send": _("There are no messages to send."),
}


class ClosingError(DomainError):
    messages = MESSAGES
