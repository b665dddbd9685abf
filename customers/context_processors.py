from django.conf import settings
from django.urls import translate_url


def languages(request):
    """Links to this same page in each language (the conversation is kept: it
    belongs to the session, not to the URL)."""
    path = request.get_full_path()
    return {
        "language_links": [
            {"code": code, "name": name, "url": translate_url(path, code)}
            for code, name in [("sv", "Svenska"), ("fi", "Suomi"), ("en", "English")]
        ],
        "privacy_notice_url": settings.PRIVACY_NOTICE_URL,
    }
