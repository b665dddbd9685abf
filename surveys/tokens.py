"""The survey link's token: signed, bound to one conversation. One answer per
conversation (its statistics row says whether it answered) and expiry counted
from the conversation's end (SURVEY_LINK_DAYS) make the link one-time and
short-lived without storing the token."""

from django.core import signing

SALT = "surveys.link"


def make_survey_token(conversation_id: int) -> str:
    return signing.dumps(conversation_id, salt=SALT)


def read_survey_token(token: str) -> int | None:
    try:
        value = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) and value > 0 else None
