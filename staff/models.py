"""Staff accounts and what the professional's side keeps: presence, ready
texts and close reasons (the audit log is in the core, conversations.models).
Residents never have accounts."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from conversations import limits
from conversations.models import localized


class Presence(models.TextChoices):
    AVAILABLE = "available", _("available")
    BUSY = "busy", _("busy")
    AWAY = "away", _("away")


class User(AbstractUser):
    """A staff account. Logs in by e-mail (django-allauth) with a TOTP second factor."""

    email = models.EmailField(_("email address"), unique=True)
    max_active_chats = models.PositiveSmallIntegerField(_("maximum concurrent chats"), default=3)
    presence = models.CharField(
        _("presence"), max_length=10, choices=Presence.choices, default=Presence.AWAY
    )
    is_supervisor = models.BooleanField(
        _("supervisor"),
        default=False,
        help_text=_("Sees the supervisor view of the services they work in."),
    )
    # The languages this professional serves residents in (codes of settings.LANGUAGES).
    languages = models.JSONField(_("languages served in"), default=list, blank=True)

    class Meta:
        verbose_name = _("staff user")
        verbose_name_plural = _("staff users")

    def __str__(self) -> str:
        return self.get_full_name() or self.email


class StaffConnection(models.Model):
    """One open staff socket, held by one server process (`process`). Presence
    lasts while a professional has a fresh one; each process refreshes its rows
    on a timer (conversations.connections), and rows of a dead process expire."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel_name = models.CharField(max_length=200, unique=True)
    process = models.CharField(max_length=32, default="", db_index=True)
    connected_at = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.user_id} {self.channel_name}"


class LocalizedLabel(models.Model):
    label_sv = models.CharField(_("label (Swedish)"), max_length=120)
    label_fi = models.CharField(_("label (Finnish)"), max_length=120)
    label_en = models.CharField(_("label (English)"), max_length=120)

    class Meta:
        abstract = True

    @property
    def label(self) -> str:
        return localized(self, "label")


class CloseReasonOption(LocalizedLabel):
    """A reason a professional can give when closing (admin-managed)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    ordering = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["ordering", "code"]
        verbose_name = _("close reason")
        verbose_name_plural = _("close reasons")

    def __str__(self) -> str:
        return self.label_sv


class CannedReply(models.Model):
    """A ready text a professional can insert and edit before sending."""

    service = models.ForeignKey(
        "conversations.Service",
        verbose_name=_("service"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="canned_replies",
        help_text=_("Empty: available in every service."),
    )
    language = models.CharField(_("language"), max_length=2, choices=limits.language_choices)
    shortcut = models.SlugField(
        _("shortcut"), max_length=30, help_text=_("Typed after / in the composer.")
    )
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("text"), max_length=2000)
    ordering = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["ordering", "title"]
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")

    def __str__(self) -> str:
        return f"/{self.shortcut} ({self.language})"
