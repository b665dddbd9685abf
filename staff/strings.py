"""Texts the dashboard's script shows, in the professional's language."""

from django.utils.translation import gettext as _


def dashboard_strings() -> dict[str, str]:
    return {
        "take": _("Take"),
        "taken_by_colleague": _("A colleague took it."),
        "waiting_for": _("waiting %(minutes)s min"),
        "no_waiting": _("Nobody is waiting."),
        "no_active": _("No active chats. Take one from a queue."),
        "you": _("You"),
        "resident": _("Resident"),
        "sent": _("Sent"),
        "delivered": _("Delivered"),
        "sending": _("Sending…"),
        "typing": _("The resident is typing…"),
        "left": _("The resident has left the conversation. Close it when you are done."),
        "closed": _("Closed."),
        "transferred_away": _("Transferred."),
        "connection_lost": _("Connection lost. Reconnecting…"),
        "new_arrival": _("New conversation in the queue: %(service)s"),
        "unread": _("%(count)s unread"),
        "note_label": _("Internal note (never shown to the resident)"),
        "error": _("Not done: %(reason)s"),
        "language": _("Language"),
        "phone": _("Phone"),
        "service": _("Service"),
        "matter": _("Matter"),
    }
