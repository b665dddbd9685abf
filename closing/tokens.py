"""The one-time token of the transcript form.

Signed (SECRET_KEY, its own salt) and bound to one conversation; `nonce` makes
each token single-use (a used nonce is a TranscriptRequest row). Expiry is not
in the token but counted from the conversation's end (TRANSCRIPT_LINK_MINUTES),
so every token of a conversation expires together."""

from __future__ import annotations

import secrets

from django.core import signing

from closing.errors import ClosingError

SALT = "closing.transcript"


def make_transcript_token(conversation_id: int) -> str:
    return signing.dumps({"c": conversation_id, "n": secrets.token_hex(16)}, salt=SALT)


def read_transcript_token(token: str) -> tuple[int, str]:
    """(conversation id, nonce), or ClosingError("invalid_token")."""
    try:
        data = signing.loads(token or "", salt=SALT)
        conversation_id, nonce = int(data["c"]), str(data["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise ClosingError("invalid_token") from None
    if not (0 < len(nonce) <= 32):
        raise ClosingError("invalid_token")
    return conversation_id, nonce
