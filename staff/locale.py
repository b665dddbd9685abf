"""The professional's pages in the professional's language.

Staff pages and the login/MFA pages are served under `i18n_patterns` like the
resident's: `/staff/` in Swedish (the default), `/fi/staff/` and `/en/staff/`.
Django's LocaleMiddleware keeps an unprefixed page in the default language; on
the staff side the browser's choice counts too, so an unprefixed staff page is
redirected to the professional's language. The resident's pages keep their
rule: their language is chosen by the county's site that embeds the chat."""

from django.conf import settings
from django.http import HttpResponseRedirect
from django.middleware.locale import LocaleMiddleware
from django.urls import get_script_prefix
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language_from_request

# Where the professional's language decides (the admin stays in the default language).
STAFF_PREFIXES = ("/staff/", "/accounts/")


def without_language_prefix(path: str) -> str:
    """`/fi/staff/` → `/staff/`: the path as the unprefixed URL patterns see it.
    Path-based checks (e.g. the MFA guard) must use this, or `/fi/…` slips past."""
    for code, _name in settings.LANGUAGES:
        if path.startswith(f"/{code}/"):
            return path[len(code) + 1 :]
    return path


class StaffLocaleMiddleware(LocaleMiddleware):
    """LocaleMiddleware, plus: a GET of an unprefixed staff page by a browser whose
    language (the language cookie set by the language switcher, else
    Accept-Language) is another served language is redirected to that
    language's prefix."""

    def process_request(self, request):
        path = request.path_info
        if request.method in ("GET", "HEAD") and path.startswith(STAFF_PREFIXES):
            language = get_language_from_request(request, check_path=False)
            if language != settings.LANGUAGE_CODE:
                script_prefix = get_script_prefix()
                url = request.get_full_path().replace(
                    script_prefix, f"{script_prefix}{language}/", 1
                )
                response = HttpResponseRedirect(url)
                patch_vary_headers(response, ("Accept-Language", "Cookie"))
                return response
        return super().process_request(request)
