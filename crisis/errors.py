"""Refusals of the crisis flag's rules: stable codes, plain messages."""

from django.utils.translation import gettext_lazy as _

from conversations.errors import DomainError

MESSAGES = {
    "not_flagged": _("This conversation has no crisis flag."),
}


class CrisisError(DomainError):
    messages = MESSAGES
