"""Finding one resident's conversations."""

from __future__ import annotations

from identity import crypto, hetu
from identity.models import IdentityBinding


def conversations_of_person(*, identity_code: str) -> list[int]:
    """Every conversation in which this person was strongly identified, by the
    keyed hash of the identity code (the code itself is stored only encrypted)."""
    code = identity_code.strip().upper()
    if not hetu.is_valid(code):
        raise ValueError("not a valid personal identity code")
    digest = crypto.hetu_digest(code)
    return sorted(
        IdentityBinding.objects.filter(hetu_digest=digest).values_list("conversation_id", flat=True)
    )
