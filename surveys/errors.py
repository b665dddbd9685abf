from django.utils.translation import gettext_lazy as _

from conversations.errors import DomainError

MESSAGES = {
    "invalid_link": _("This survey link is not valid."),
    "link_expired": _("This survey link has expired."),
    "already_answered": _("This survey has already been answered. Thank you!"),
    "no_survey": _("There is no survey for this conversation."),
    "invalid_answer": _("Some of the answers are missing or not valid."),
}


class SurveyError(DomainError):
    messages = MESSAGES
