from django.apps import AppConfig


class ChatserviceConfig(AppConfig):
    name = "chatservice"

    def ready(self) -> None:
        from chatservice import checks  # noqa: F401  (registers the deploy checks)
