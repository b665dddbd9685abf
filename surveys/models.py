"""The end-of-chat survey: what is asked (admin-defined, per service or global)
and the answers, kept apart from the conversation so that they are anonymous
with respect to the resident."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from conversations.models import Service, localized

COMMENT_MAX_CHARS = 1000


class Survey(models.Model):
    """What the resident is asked after a conversation: a 1–5 satisfaction scale,
    whether they got the help they needed, and an optional free text. A
    service's own active survey wins over the global one (no service)."""

    service = models.ForeignKey(
        Service,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="surveys",
        verbose_name=_("service"),
        help_text=_("Empty: every service without a survey of its own."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    intro_sv = models.TextField(_("introduction (Swedish)"), blank=True)
    intro_fi = models.TextField(_("introduction (Finnish)"), blank=True)
    intro_en = models.TextField(_("introduction (English)"), blank=True)
    satisfaction_question_sv = models.CharField(
        _("satisfaction question (Swedish)"), max_length=200
    )
    satisfaction_question_fi = models.CharField(
        _("satisfaction question (Finnish)"), max_length=200
    )
    satisfaction_question_en = models.CharField(
        _("satisfaction question (English)"), max_length=200
    )
    help_question_sv = models.CharField(_("help question (Swedish)"), max_length=200)
    help_question_fi = models.CharField(_("help question (Finnish)"), max_length=200)
    help_question_en = models.CharField(_("help question (English)"), max_length=200)
    ask_comment = models.BooleanField(_("ask for a free comment"), default=True)
    comment_question_sv = models.CharField(
        _("comment question (Swedish)"), max_length=200, blank=True
    )
    comment_question_fi = models.CharField(
        _("comment question (Finnish)"), max_length=200, blank=True
    )
    comment_question_en = models.CharField(
        _("comment question (English)"), max_length=200, blank=True
    )
    comment_max_chars = models.PositiveIntegerField(
        _("longest comment (characters)"),
        default=COMMENT_MAX_CHARS,
        validators=[MinValueValidator(1), MaxValueValidator(COMMENT_MAX_CHARS)],
    )

    class Meta:
        ordering = ["service__slug", "id"]
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        constraints = [
            models.UniqueConstraint(
                fields=["service"],
                condition=models.Q(is_active=True, service__isnull=False),
                name="one_active_survey_per_service",
            ),
            models.UniqueConstraint(
                fields=["is_active"],
                condition=models.Q(is_active=True, service__isnull=True),
                name="one_active_global_survey",
            ),
        ]

    def __str__(self) -> str:
        return str(self.service or _("all services"))

    def text(self, field: str, language: str | None = None) -> str:
        return localized(self, field, language)


class HelpReceived(models.TextChoices):
    YES = "yes", _("Yes")
    PARTLY = "partly", _("Partly")
    NO = "no", _("No")


class SurveyResponse(models.Model):
    """One resident's answers. Deliberately without a link to the conversation:
    only the service, the professional and the hour the conversation started, for
    statistics. (Which conversation answered is a flag on its statistics row.)
    The free text is emptied by the retention purge with the service's
    conversations; the scores stay."""

    survey = models.ForeignKey(
        Survey, on_delete=models.SET_NULL, null=True, related_name="responses"
    )
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="+", verbose_name=_("service")
    )
    professional = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("professional"),
    )
    language = models.CharField(_("language"), max_length=2)
    # The conversation's start, to the hour: enough for periods, too coarse to
    # find the conversation by.
    started_hour = models.DateTimeField(_("conversation started (hour)"), db_index=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction (1–5)"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    help_received = models.CharField(
        _("got the help needed"), max_length=10, choices=HelpReceived.choices
    )
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["-started_hour", "-id"]
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(satisfaction__gte=1, satisfaction__lte=5),
                name="survey_satisfaction_1_to_5",
            )
        ]

    def __str__(self) -> str:
        return f"{self.service_id} {self.started_hour:%Y-%m-%d} {self.satisfaction}"
