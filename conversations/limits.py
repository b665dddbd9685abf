"""One source for every length limit, and the served languages.

Models, forms, actions, the protocol schemas and the pages' config all read
these; the browser gets them from its page config. The message length is a
setting (CHAT_MAX_MESSAGE_CHARS), read when it is needed.
"""

from django.conf import settings

NAME_MAX = 100
PHONE_MAX = 32
MATTER_MAX = 500
CLIENT_ID_MAX = 64
CLOSE_REASON_MAX = 40
TRANSFER_NOTE_MAX = 500
# Ids on the wire: positive and within a signed 64-bit column.
ID_MAX = 2**63 - 1


# The languages the service speaks are settings.LANGUAGES (the county's default,
# settings.LANGUAGE_CODE, first); these read it when called.
def language_codes() -> tuple[str, ...]:
    return tuple(code for code, _name in settings.LANGUAGES)


def language_choices() -> list[tuple[str, str]]:
    """For model fields (`choices=language_choices`)."""
    return [(code, str(name)) for code, name in settings.LANGUAGES]


def served_language(code: str | None) -> str:
    """`code` reduced to a served language ('fi-FI' → 'fi'), else the default."""
    code = (code or "")[:2].lower()
    return code if code in language_codes() else settings.LANGUAGE_CODE


def max_message_chars() -> int:
    return settings.CHAT_MAX_MESSAGE_CHARS


def page_limits() -> dict[str, int]:
    """The limits a page's script needs (its JSON config)."""
    return {
        "message_chars": max_message_chars(),
        "note_chars": max_message_chars(),
        "transfer_note_chars": TRANSFER_NOTE_MAX,
        "client_id_chars": CLIENT_ID_MAX,
    }
