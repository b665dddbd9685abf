from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    """Text messages to residents: "text me when it's my turn"."""

    name = "notify"
    verbose_name = _("Text messages")

    def ready(self) -> None:
        from conversations.signals import conversation_claimed
        from notify.receivers import on_conversation_claimed

        conversation_claimed.connect(on_conversation_claimed, dispatch_uid="notify.claimed")
