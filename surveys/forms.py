from django import forms
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from surveys.models import HelpReceived, Survey

SCALE = [
    (1, _("1 – very dissatisfied")),
    (2, "2"),
    (3, "3"),
    (4, "4"),
    (5, _("5 – very satisfied")),
]


class SurveyForm(forms.Form):
    satisfaction = forms.TypedChoiceField(
        choices=SCALE,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a number from 1 to 5.")},
    )
    help_received = forms.ChoiceField(
        choices=HelpReceived.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose one of the answers.")},
    )
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, survey: Survey, **kwargs):
        super().__init__(*args, **kwargs)
        self.survey = survey
        self.fields["satisfaction"].label = survey.text("satisfaction_question")
        self.fields["help_received"].label = survey.text("help_question")
        if survey.ask_comment:
            field = self.fields["comment"]
            field.label = survey.text("comment_question") or _("Comment (optional)")
            field.widget.attrs["maxlength"] = str(survey.comment_max_chars)
            field.validators.append(MaxLengthValidator(survey.comment_max_chars))
            field.help_text = _(
                "Do not write your name, personal identity code or health details here."
            )
        else:
            del self.fields["comment"]
