from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """Reports for supervisors and administrators, from the anonymous statistics."""

    name = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from reports.percentile import register_sqlite_percentile

        connection_created.connect(register_sqlite_percentile)
