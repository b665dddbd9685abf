from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffConfig(AppConfig):
    name = "staff"
    verbose_name = _("Staff")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        from staff.sessions import end_sockets_at_logout

        # Logging out ends that session's staff sockets at once (staff/sessions.py).
        user_logged_out.connect(end_sockets_at_logout, dispatch_uid="staff.end_sockets_at_logout")
