"""A strict Content-Security-Policy on every response: no inline script or style.

Pages marked with `xframe_options_exempt` (the chat widget) may be framed by
this origin and by WIDGET_ALLOWED_ORIGINS; every other page by nobody.
"""

from django.conf import settings


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        base = [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "media-src 'self' blob:",
            "form-action 'self'",
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
        return response
