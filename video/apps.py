from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VideoConfig(AppConfig):
    name = "video"
    verbose_name = _("Video")

    def ready(self) -> None:
        from conversations.signals import conversation_closed
        from video.receivers import end_call_of_closed_conversation

        conversation_closed.connect(end_call_of_closed_conversation, dispatch_uid="video-close")
