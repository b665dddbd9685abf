"""Error pages (400, 403 and the CSRF failure, 404, 500) in the site's look and in
the language of the URL (/fi/, /en/; LocaleMiddleware has activated it).

They render from a plain context, without the request's context processors, so
that an error page needs neither the database nor the session (Django's own 400
and 500 handlers do the same). Under the widget's paths they may be framed like
the widget's pages: the chatbot panel shows them instead of a browser error.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template import loader


def area(path: str) -> str:
    """Where an error happened, for its way back: "widget" (inside the chatbot
    panel), "staff" (the professional's pages) or "site"."""
    codes = "|".join(re.escape(code) for code, _name in settings.LANGUAGES)
    match = re.match(rf"^/(?:(?:{codes})/)?(widget|staff|accounts|admin)/", path)
    if match is None:
        return "site"
    return "widget" if match[1] == "widget" else "staff"


def frameable_in_panel(request: HttpRequest | None, response: HttpResponse) -> HttpResponse:
    """Let the chatbot panel frame `response` when it answers a widget path (the
    CSP middleware then allows the widget's frame-ancestors instead of 'none')."""
    if request is not None and area(request.path_info) == "widget":
        response.xframe_options_exempt = True
    return response


def error_page(request: HttpRequest | None, template_name: str, status: int) -> HttpResponse:
    where = area(request.path_info) if request is not None else "site"
    body = loader.render_to_string(template_name, {"area": where})
    return frameable_in_panel(request, HttpResponse(body, status=status))


def bad_request(request, exception=None):
    return error_page(request, "400.html", 400)


def permission_denied(request, exception=None):
    return error_page(request, "403.html", 403)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: most often a form left open for long or a browser restarted."""
    return error_page(request, "403_csrf.html", 403)


def page_not_found(request, exception=None):
    return error_page(request, "404.html", 404)


def server_error(request, template_name: str = "500.html"):
    """Called by chatservice.views.server_error (the handler500, which first turns a
    database outage into the 503 page)."""
    return error_page(request, template_name, 500)
