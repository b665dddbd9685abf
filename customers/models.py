"""What the resident's side adds to the core: the chatbot's ready answers."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from conversations.models import localized


class ChatbotTopic(models.Model):
    """A question the chatbot answers at once, without staff. Nestable one level."""

    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent topic"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
    )
    ordering = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    question_sv = models.CharField(_("question (Swedish)"), max_length=200)
    question_fi = models.CharField(_("question (Finnish)"), max_length=200)
    question_en = models.CharField(_("question (English)"), max_length=200)
    answer_sv = models.TextField(_("answer (Swedish)"), blank=True)
    answer_fi = models.TextField(_("answer (Finnish)"), blank=True)
    answer_en = models.TextField(_("answer (English)"), blank=True)

    class Meta:
        ordering = ["ordering", "id"]
        verbose_name = _("chatbot topic")
        verbose_name_plural = _("chatbot topics")

    def __str__(self) -> str:
        return self.question_sv

    def clean(self) -> None:
        if self.parent_id and self.parent and self.parent.parent_id:
            raise ValidationError({"parent": _("Topics nest one level only.")})
        if self.parent_id and self.pk and self.children.exists():
            raise ValidationError({"parent": _("A topic with subtopics cannot have a parent.")})

    @property
    def question(self) -> str:
        return localized(self, "question")

    @property
    def answer(self) -> str:
        return localized(self, "answer")
