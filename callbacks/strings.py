"""The call-back texts the pages' scripts show, in the page's language."""

from __future__ import annotations

from django.utils.translation import gettext as _


def resident_strings() -> dict[str, str]:
    return {
        "requested": _(
            "We will call you at the number ending in %(end)s when it is your turn. You keep "
            "your place in the queue and may close this page."
        ),
        "calling": _("A professional is calling you now at the number ending in %(end)s."),
        "retry": _(
            "We tried to call you and will try again. You keep your place in the queue and "
            "may close this page."
        ),
        "reached": _("Done: the professional has called you. Thank you for contacting us."),
        "not_reached": _(
            "We could not reach you by phone after several tries. Please contact us again "
            "when it suits you. In an emergency, call 112."
        ),
        "failed": _("The call-back could not be requested. Please try again."),
    }
