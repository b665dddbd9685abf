"""What the administrator configures: the phrases to look for, per language, and
the crisis lines the banner shows next to 112. A match itself is kept on the
conversation (Conversation.crisis_*) and on its timeline (EventKind.CRISIS_*)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from conversations import limits
from conversations.models import localized

PHRASE_MAX = 120


class CrisisPhrase(models.Model):
    language = models.CharField(_("language"), max_length=2, choices=limits.language_choices)
    phrase = models.CharField(
        _("phrase"),
        max_length=PHRASE_MAX,
        help_text=_(
            "Words in order. End a word with * to match every word that begins with it "
            "(itsemurh* finds itsemurhaa). Case and diacritics do not matter."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["language", "phrase"]
        verbose_name = _("crisis phrase")
        verbose_name_plural = _("crisis phrases")
        constraints = [
            models.UniqueConstraint(fields=["language", "phrase"], name="one_phrase_per_language")
        ]

    def __str__(self) -> str:
        return f"{self.language}: {self.phrase}"


class CrisisLine(models.Model):
    """A help line shown in the banner under the emergency number 112."""

    name_sv = models.CharField(_("name (Swedish)"), max_length=120)
    name_fi = models.CharField(_("name (Finnish)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    phone = models.CharField(
        _("phone number"),
        max_length=limits.PHONE_MAX,
        help_text=_("As it is dialled, e.g. 09 2525 0111."),
    )
    hours_sv = models.CharField(_("when it answers (Swedish)"), max_length=200, blank=True)
    hours_fi = models.CharField(_("when it answers (Finnish)"), max_length=200, blank=True)
    hours_en = models.CharField(_("when it answers (English)"), max_length=200, blank=True)
    ordering = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["ordering", "id"]
        verbose_name = _("crisis line")
        verbose_name_plural = _("crisis lines")

    def __str__(self) -> str:
        return f"{self.name_sv} {self.phone}"

    def name(self, language: str | None = None) -> str:
        return localized(self, "name", language)

    def hours(self, language: str | None = None) -> str:
        return localized(self, "hours", language)

    @property
    def tel(self) -> str:
        """The number for a tel: link (digits and a leading +)."""
        return "".join(c for c in self.phone if c.isdigit() or c == "+")
