"""The intake form: name, phone number and a short matter."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import phonenumbers
from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from conversations import limits
from identity import hetu
from notify.gateways import sms_enabled

if TYPE_CHECKING:  # a development dependency: types only
    from django_stubs_ext import StrOrPromise

# What a field does with an identity code typed into it.
IdentityCodeRule = Literal["mask", "refuse"]


class ResidentTextField(forms.CharField):
    """Text a resident types. Its identity code rule runs on the raw value, before
    any other parsing or validation: "mask" hides each code (the count is kept in
    `identity_codes_masked`), "refuse" rejects the value."""

    def __init__(
        self, *, identity_codes: IdentityCodeRule, refuse_message: StrOrPromise = "", **kwargs
    ):
        super().__init__(**kwargs)
        self.identity_codes = identity_codes
        self.refuse_message = refuse_message
        self.identity_codes_masked = 0

    def clean(self, value):
        self.identity_codes_masked = 0
        if isinstance(value, str) and hetu.contains_code(value):
            if self.identity_codes == "refuse":
                raise forms.ValidationError(self.refuse_message, code="identity_code")
            value, self.identity_codes_masked = hetu.mask(value)
        return super().clean(value)


class IntakeForm(forms.Form):
    name = ResidentTextField(
        label=_("Your name"),
        max_length=limits.NAME_MAX,
        identity_codes="mask",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    # A phone number with a code in it is not a phone number: the phone library
    # would drop the separator and the check character and hand the professional
    # the date and individual number as digits to call.
    phone = ResidentTextField(
        label=_("Phone number"),
        max_length=limits.PHONE_MAX,
        identity_codes="refuse",
        refuse_message=_(
            "This looks like a personal identity code. Do not write your identity code "
            "here: enter your phone number, for example 040 123 4567."
        ),
        help_text=_(
            "A Finnish number such as 040 123 4567, or an international one starting with +."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    matter = ResidentTextField(
        label=_("Briefly, what is your matter about?"),
        max_length=limits.MATTER_MAX,
        identity_codes="mask",
        help_text=format_lazy(
            _("At most {max} characters. No sensitive details and no personal identity code."),
            max=limits.MATTER_MAX,
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            # Every field a resident fills in goes through the identity code check.
            if not isinstance(field, ResidentTextField):
                raise TypeError(f"Intake field {name!r} must be a ResidentTextField.")
            # Errors are announced with the field: aria-describedby is set in the template.
            field.widget.attrs.setdefault("aria-describedby", f"{name}-help {name}-errors")
        if sms_enabled():
            # "Text me when it's my turn" (notify app): a tick box, no text to check,
            # so added after the check; offered only when a gateway is configured.
            self.fields["sms_wanted"] = forms.BooleanField(
                label=_("Send me a text message when a professional is ready"),
                required=False,
                help_text=_(
                    "To the phone number above, only if your chat is not open at that "
                    "moment: the name of the service and a link back to the chat."
                ),
                widget=forms.CheckboxInput(attrs={"aria-describedby": "sms_wanted-help"}),
            )

    @property
    def identity_codes_masked(self) -> int:
        """How many identity codes were hidden from the fields (after `is_valid()`)."""
        return sum(
            f.identity_codes_masked
            for f in self.fields.values()
            if isinstance(f, ResidentTextField)
        )

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
