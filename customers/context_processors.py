from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language, override


def languages(request):
    """Links to this same page in each language (the conversation is kept: it
    belongs to the session, not to the URL)."""
    path = request.get_full_path()
    return {
        "language_links": [
            {"code": code, "name": name, "url": translate_url(path, code)}
            for code, name in [("sv", "Svenska"), ("fi", "Suomi"), ("en", "English")]
        ],
        "privacy_notice_url": privacy_notice_url(get_language() or settings.LANGUAGE_CODE),
    }


def privacy_notice_url(language: str) -> str:
    """PRIVACY_NOTICE_URL in the page's language: a path of this service (the
    default /privacy/) is given its language prefix; an external address may
    carry `{lang}` (https://county.fi/{lang}/privacy)."""
    url = settings.PRIVACY_NOTICE_URL
    if "{lang}" in url:
        return url.replace("{lang}", language)
    # The path is written in the default language (no prefix): resolve it there.
    with override(settings.LANGUAGE_CODE):
        return translate_url(url, language)
