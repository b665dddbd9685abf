from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClosingConfig(AppConfig):
    """After a conversation closes: the transcript e-mail, the retention purge
    and the idle sweep."""

    name = "closing"
    verbose_name = _("Closing and retention")
