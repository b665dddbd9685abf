"""The project's own middleware; the order is settings.MIDDLEWARE's."""

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import connection

from chatservice import checks
from chatservice.views import database_unavailable, unavailable_page
from conversations import outages
from conversations.clientaddr import client_address

PERMISSIONS_POLICY = (
    "camera=(self), microphone=(self), display-capture=(), geolocation=(), payment=(), usb=()"
)


class ContentSecurityPolicyMiddleware:
    """A strict Content-Security-Policy on every response: no inline script or style.

    Pages marked with `xframe_options_exempt` (the chat widget) may be framed by
    this origin and by WIDGET_ALLOWED_ORIGINS; every other page by nobody."""

    def __init__(self, get_response):
        self.get_response = get_response
        base = [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "media-src 'self' blob:",
            # A form may end in a redirect to Suomi.fi's single logout (identity.saml).
            " ".join(["form-action 'self'", *settings.IDENTITY_SAML_IDP_ORIGINS]),
            "base-uri 'none'",
            "object-src 'none'",
        ]
        self.policy = "; ".join([*base, "frame-ancestors 'none'"])
        ancestors = " ".join(["'self'", *settings.WIDGET_ALLOWED_ORIGINS])
        self.widget_policy = "; ".join([*base, f"frame-ancestors {ancestors}"])

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            widget = getattr(response, "xframe_options_exempt", False)
            response["Content-Security-Policy"] = self.widget_policy if widget else self.policy
        # Camera and microphone (video calls, the connection test) for this origin only.
        if "Permissions-Policy" not in response:
            response["Permissions-Policy"] = PERMISSIONS_POLICY
        return response


class ClientAddressMiddleware:
    """Set REMOTE_ADDR to the client's address as the trusted proxies saw it
    (conversations.clientaddr), so that every reader of REMOTE_ADDR (allauth's
    login limit, the admin's audit rows, the intake limit) gets the same answer
    and none is fooled by a client-sent X-Forwarded-For."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        address = client_address(request)
        if address:
            request.META["REMOTE_ADDR"] = address
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """While the database is unreachable, answer a translated 503 page instead of
    a 500 with a traceback per request; the outage is logged once
    (conversations.outages). Errors in the views arrive at process_exception;
    those in the session and authentication middleware (which read the
    database first) are turned into the same page by chatservice.views.server_error,
    the handler500. During an outage, the first statement that succeeds ends it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not outages.database.down:
            return self.get_response(request)
        with connection.execute_wrapper(_ends_outage):
            return self.get_response(request)

    def process_exception(self, request, exception):
        if outages.database_error(exception):
            return database_unavailable(request, exception)
        return None


def _ends_outage(execute, sql, params, many, context):
    result = execute(sql, params, many, context)
    outages.database.recovered()
    return result


class DemoAccountGuardMiddleware:
    """Production only: answer 503 while the database may hold the demo accounts
    (chatservice.checks). Normally the start-up check has passed and this costs
    nothing; it matters for a process that started while the database was down."""

    def __init__(self, get_response):
        if settings.ENVIRONMENT != "production":
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        # Liveness says only that the process answers; it must not fail (and get the
        # process restarted) because the database is down.
        if request.path_info != "/healthz" and not checks.guard.passes():
            return unavailable_page(request)
        return self.get_response(request)
