"""Staff sessions: a second factor before any resident data, and idle expiry."""

import time

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

from staff.locale import without_language_prefix
from staff.selectors import has_mfa

# A staff account without a second factor may reach only what sets one up (and
# what any visitor may): every other page, endpoint and download waits for it.
OPEN_WITHOUT_MFA = ("/accounts/", "/i18n/", "/static/", "/healthz", "/readyz")
# Requests a page makes by itself (the dashboard's keepalive while nobody has
# touched it) carry this header; everything else is the professional's doing.
UNATTENDED_HEADER = "X-Chatservice-Unattended"
LAST_INPUT_KEY = "staff_last_input"
EXTENDED_KEY = "staff_session_extended"


def extend_staff_session(request, *, attended: bool) -> None:
    """Restart the staff session's idle timeout (STAFF_IDLE_SECONDS).

    An attended request always extends it. An unattended one (an open, visible
    dashboard with a live socket saying so) extends it only until
    STAFF_MAX_UNATTENDED_SECONDS have passed since the professional's last input,
    so a dashboard left open on an unattended screen still ends."""
    now = time.time()
    session = request.session
    if attended:
        session[LAST_INPUT_KEY] = now
    last_input = session.setdefault(LAST_INPUT_KEY, now)
    if attended or now - last_input < settings.STAFF_MAX_UNATTENDED_SECONDS:
        session.set_expiry(settings.STAFF_IDLE_SECONDS)
        session[EXTENDED_KEY] = now


def staff_session_seconds_left(request) -> int:
    """How long the staff session has left (the dashboard warns before the end)."""
    now = time.time()
    extended = request.session.get(EXTENDED_KEY, now)
    return max(0, int(extended + settings.STAFF_IDLE_SECONDS - now))


class StaffSecurityMiddleware:
    """A staff account without TOTP is sent to set it up before anything else
    (pages, endpoints, downloads); a staff session ends after STAFF_IDLE_SECONDS without
    activity (see `extend_staff_session`; the dashboard keeps it alive while the
    professional works, and warns before it ends)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and user.is_staff:
            extend_staff_session(request, attended=request.headers.get(UNATTENDED_HEADER) != "1")
            # /fi/staff/ and /en/staff/ are the same pages: match without the prefix.
            path = without_language_prefix(request.path_info)
            if not path.startswith(OPEN_WITHOUT_MFA) and not has_mfa(user=user):
                return redirect(f"{reverse('mfa_activate_totp')}?next={request.path_info}")
        return self.get_response(request)
