"""The call-back parts of pages that belong to other apps: the chat page's offer,
the closed page's contact form."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from callbacks import selectors
from callbacks.forms import ContactRequestForm
from callbacks.strings import resident_strings

register = template.Library()


@register.inclusion_tag("callbacks/offer.html", takes_context=True)
def callback_offer(context, conversation) -> dict[str, Any]:
    state = selectors.resident_callback(conversation=conversation)
    strings = resident_strings()
    return {
        "csrf_token": context.get("csrf_token"),
        "callback": state,
        "message": strings[state["state"]] % {"end": state["phone_end"]} if state["state"] else "",
        "offered": selectors.is_offered(conversation=conversation),
        "config": {
            **state,
            "url": reverse("callbacks:request"),
            "estimate": selectors.estimated_wait(conversation=conversation) or 0,
            "strings": strings,
        },
    }


@register.inclusion_tag("callbacks/contact_form.html", takes_context=True)
def contact_request_form(context, service) -> dict[str, Any]:
    """On a closed service's page, when the service takes contact requests. The
    view that refused a submission passes its bound form as `contact_form`."""
    return {
        "service": service,
        "show": selectors.takes_contact_requests(service=service),
        "form": context.get("contact_form") or ContactRequestForm(),
        "next_opening": context.get("next_opening"),
        "privacy_notice_url": context.get("privacy_notice_url", ""),
        "csrf_token": context.get("csrf_token"),
    }
