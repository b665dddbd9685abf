"""Staff sessions: a second factor before any resident data, and idle expiry."""

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

from staff.selectors import has_mfa

PROTECTED_PREFIXES = ("/staff/", "/admin/")


class StaffSecurityMiddleware:
    """A staff account without TOTP is sent to set it up before any page that can
    show resident data; a staff session ends after STAFF_IDLE_SECONDS without
    requests (the dashboard keeps it alive while the professional works)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and user.is_staff:
            request.session.set_expiry(settings.STAFF_IDLE_SECONDS)
            if request.path_info.startswith(PROTECTED_PREFIXES) and not has_mfa(user=user):
                return redirect(f"{reverse('mfa_activate_totp')}?next={request.path_info}")
        return self.get_response(request)
