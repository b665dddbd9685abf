"""Texts the dashboard's script shows, in the professional's language."""

from django.utils.translation import gettext as _

from identity.models import FailureCode, Level
from video.strings import video_strings


def dashboard_strings() -> dict[str, str]:
    return {
        "take": _("Take"),
        "taken_by_colleague": _("A colleague took it."),
        "waiting_for": _("waiting %(minutes)s min"),
        "no_waiting": _("Nobody is waiting."),
        "crisis": _("Crisis"),
        "crisis_phrase": _("(words found: %(phrase)s)"),
        "other_language": _("not one of your languages"),
        "language_reserved": _("Offered to professionals who speak the language until %(time)s."),
        "no_active": _("No active chats. Take one from a queue."),
        "you": _("You"),
        "resident": _("Resident"),
        "sent": _("Sent"),
        "delivered": _("Delivered"),
        "sending": _("Sending…"),
        "not_sent": _("Not sent yet: will be sent when the connection returns"),
        "retrying": _("Not sent yet: trying again…"),
        "failed": _("Not sent: %(reason)s"),
        "masked": _(
            "A personal identity code was hidden from your message: it is never stored in a chat."
        ),
        "typing": _("The resident is typing…"),
        "left": _("The resident has left the conversation. Close it when you are done."),
        "resident_left_short": _("Left the chat"),
        "connected": _("Connected"),
        "not_connected": _("Not connected"),
        "composer_left": _("The resident has left: they will not see new messages."),
        "composer_offline": _(
            "The resident is not connected right now and may not see new messages."
        ),
        "since": _("since %(time)s"),
        "closed": _("Closed."),
        "transferred_away": _("Transferred."),
        "transferred_to_you": _("A conversation was transferred to you: %(name)s"),
        "connection_lost": _("Connection lost. Reconnecting…"),
        "new_arrival": _("New conversation in the queue: %(service)s"),
        "unread": _("%(count)s unread"),
        "note_label": _("Internal note (never shown to the resident)"),
        "error": _("Not done: %(reason)s"),
        "language": _("Language"),
        "phone": _("Phone"),
        "service": _("Service"),
        "matter": _("Matter"),
        "idle": _("Quiet for a long time"),
        "ident_none": _("Not identified."),
        "ident_requested": _("Link sent: waiting for the resident to open it."),
        "ident_started": _("The resident is identifying…"),
        "ident_completed": _("Identified."),
        "ident_failed": _("Identification failed: %(reason)s."),
        "ident_cancelled": _("The resident cancelled the identification."),
        "ident_expired": _("The link expired before it was used."),
        "ident_again": _("Request identification again"),
        "code_hidden": _("Hidden"),
        "code_none": _("None (identified without a Finnish personal identity code)"),
        **{f"failure_{code}": str(label) for code, label in FailureCode.choices},
        **{f"level_{level}": str(label) for level, label in Level.choices},
        **video_strings(),
    }
