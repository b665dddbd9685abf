from django.apps import AppConfig


class ChatserviceConfig(AppConfig):
    name = "chatservice"

    def ready(self) -> None:
        from celery.signals import task_failure

        from chatservice import checks  # noqa: F401  (registers the deploy checks)
        from chatservice.metrics import count_task_failure

        task_failure.connect(count_task_failure, weak=False)
