"""Staff accounts. Professionals and administrators log in; residents never do."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A staff account. Logs in by e-mail (django-allauth)."""

    email = models.EmailField(_("email address"), unique=True)

    class Meta:
        verbose_name = _("staff user")
        verbose_name_plural = _("staff users")
