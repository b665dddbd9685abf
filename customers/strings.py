"""Texts the chat page's script shows, in the page's language."""

from django.utils.translation import gettext as _

from video.strings import video_strings


def chat_strings() -> dict[str, str]:
    return {
        "you": _("You"),
        "sending": _("Sending…"),
        "sent": _("Sent"),
        "delivered": _("Delivered"),
        "not_sent": _("Not sent yet: will be sent when the connection returns"),
        "retrying": _("Not sent yet: trying again…"),
        "position": _("Your place in the queue: %(position)s."),
        "estimate": _("Estimated wait about %(minutes)s min."),
        "typing": _("%(name)s is typing…"),
        "masked": _(
            "A personal identity code was hidden from your message. Never type it in the chat."
        ),
        "transferred": _("You are being transferred. Please wait: your conversation is kept."),
        "now_with": _("You were transferred. You are now chatting with %(name)s."),
        "error": _("The message could not be sent: %(reason)s"),
        **video_strings(),
    }
