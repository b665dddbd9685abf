"""The intake form: name, phone number and a short matter."""

import phonenumbers
from django import forms
from django.utils.translation import gettext_lazy as _

from identity import hetu

NAME_MAX = 100
MATTER_MAX = 500


class IntakeForm(forms.Form):
    name = forms.CharField(
        label=_("Your name"),
        max_length=NAME_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = forms.CharField(
        label=_("Phone number"),
        max_length=32,
        help_text=_(
            "A Finnish number such as 040 123 4567, or an international one starting with +."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    matter = forms.CharField(
        label=_("Briefly, what is your matter about?"),
        max_length=MATTER_MAX,
        help_text=_("At most 500 characters. No sensitive details and no personal identity code."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.identity_codes_masked = 0
        for name, field in self.fields.items():
            # Errors are announced with the field: aria-describedby is set in the template.
            field.widget.attrs.setdefault("aria-describedby", f"{name}-help {name}-errors")

    def _masked(self, value: str) -> str:
        value, count = hetu.mask(value)
        self.identity_codes_masked += count
        return value

    def clean_name(self) -> str:
        return self._masked(self.cleaned_data["name"].strip())

    def clean_matter(self) -> str:
        return self._masked(self.cleaned_data["matter"].strip())

    def clean_phone(self) -> str:
        raw = self.cleaned_data["phone"]
        try:
            number = phonenumbers.parse(raw, "FI")
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            raise forms.ValidationError(
                _("Enter a valid phone number, e.g. 040 123 4567 or +46 70 123 4567."),
                code="invalid_phone",
            )
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
