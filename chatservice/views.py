"""Error pages of the whole site that need more than a template."""

from __future__ import annotations

import logging
import sys

from django.http import HttpResponse
from django.utils.translation import gettext
from django.views import defaults

from conversations import outages
from customers import errors

logger = logging.getLogger(__name__)

# How long a client (or the widget's frame) should wait before retrying.
RETRY_AFTER_SECONDS = 30


def unavailable_page(request) -> HttpResponse:
    """The translated "temporarily unavailable" page: 503 with Retry-After, never
    cached, in the look of the other error pages (customers.errors: a plain
    context, nothing from the database or the session; framable inside the chatbot
    panel). If rendering fails anyway, a plain-text answer says the same."""
    try:
        response = errors.error_page(request, "503.html", 503)
    except Exception:  # the page must not turn into a 500 of its own
        logger.exception("rendering 503.html failed")
        response = HttpResponse(
            " ".join(
                [
                    gettext("The chat service is temporarily unavailable"),
                    gettext("Please try again in a moment."),
                    gettext("In an emergency, call 112."),
                ]
            ),
            content_type="text/plain; charset=utf-8",
            status=503,
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    # Whoever answers with this page has logged why, once; Django would otherwise
    # log every 5xx response (django.utils.log.log_response skips a logged one).
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def database_unavailable(request, exc: BaseException) -> HttpResponse:
    """The answer to a request that failed because the database is unreachable:
    the outage is logged once for the process, not a traceback per request."""
    outages.database.failed(exc)
    return unavailable_page(request)


def server_error(request, template_name: str = defaults.ERROR_500_TEMPLATE_NAME):
    """handler500. Django calls it for an exception nothing else handled, also
    one raised in a middleware (the session and authentication middleware read
    the database before any view runs): a database outage becomes the 503 page,
    anything else the site's 500 page."""
    exc = sys.exc_info()[1]
    if exc is not None and outages.database_error(exc):
        return database_unavailable(request, exc)
    # The translated 500 page, frameable inside the chatbot panel under its paths.
    return errors.server_error(request, template_name)
