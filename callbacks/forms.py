"""The contact request left while a service is closed: the intake's own fields
(customers.forms.IntakeForm) with their identity-code rules and phone check, and
nothing else the intake may ask (a contact request is always by phone)."""

from __future__ import annotations

from customers.forms import IntakeForm

FIELDS = ("name", "phone", "matter")


class ContactRequestForm(IntakeForm):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "contact")
        super().__init__(*args, **kwargs)
        for name in [n for n in self.fields if n not in FIELDS]:
            del self.fields[name]
        for name, field in self.fields.items():
            field.widget.attrs["aria-describedby"] = f"contact-{name}-help contact-{name}-errors"
