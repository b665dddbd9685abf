from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reports.selectors import MAX_DAYS, Period


class ReportForm(forms.Form):
    """The report's choices, from the query string; defaults to the last 30 days."""

    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    service = forms.TypedChoiceField(
        label=_("Service"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, data, *, services, today: date | None = None):
        today = today or timezone.localdate()
        defaults = {"start": (today - timedelta(days=29)).isoformat(), "end": today.isoformat()}
        merged = {
            **defaults,
            **{k: v for k, v in data.items() if k in ("start", "end", "service") and v},
        }
        super().__init__(merged)
        service_field: forms.TypedChoiceField = self.fields["service"]  # type: ignore[assignment]
        service_field.choices = [("", _("All my services"))] + [(s.pk, s.name()) for s in services]

    def clean(self):
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end < start:
                raise forms.ValidationError(_("The end date is before the start date."))
            if (end - start).days >= MAX_DAYS:
                raise forms.ValidationError(_("Choose at most %(days)s days.") % {"days": MAX_DAYS})
        return cleaned

    def period(self) -> Period:
        return Period(self.cleaned_data["start"], self.cleaned_data["end"])
