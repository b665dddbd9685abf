"""Reads of identification state. Permission-checked fetches say so in their name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.sessions.backends.base import SessionBase
from django.utils.crypto import salted_hmac

from conversations.selectors import conversation_for_staff
from identity.models import OPEN_STATES, IdentificationRequest, IdentityBinding

# The resident's session remembers the request it opened, to fail it on a
# callback that comes back with someone else's state.
SESSION_REQUEST_KEY = "identification_request"


def session_digest(session: SessionBase) -> str:
    """A keyed digest of the session key: the request remembers which browser
    session opened it without storing the key itself."""
    if not session.session_key:
        return ""
    return salted_hmac("identity.session", session.session_key).hexdigest()


def request_for_link(*, token: str) -> IdentificationRequest | None:
    return (
        IdentificationRequest.objects.select_related("conversation").filter(token=token).first()
        if token
        else None
    )


def open_request(*, conversation_id: int) -> IdentificationRequest | None:
    """The conversation's pending request, if any (there is at most one)."""
    return IdentificationRequest.objects.filter(
        conversation_id=conversation_id, state__in=OPEN_STATES
    ).first()


def latest_request(*, conversation_id: int) -> IdentificationRequest | None:
    return (
        IdentificationRequest.objects.filter(conversation_id=conversation_id)
        .order_by("-created_at", "-id")
        .first()
    )


@dataclass(frozen=True)
class IdentitySummary:
    """What the professional sees of the verified person: never the identity code
    (`reveal_hetu` shows it, audited)."""

    given_names: str
    family_name: str
    birth_date: date | None
    level: str
    provider: str
    identified_at: datetime
    has_identity_code: bool

    @classmethod
    def of(cls, binding: IdentityBinding) -> IdentitySummary:
        return cls(
            given_names=binding.given_names,
            family_name=binding.family_name,
            birth_date=binding.birth_date,
            level=binding.level,
            provider=binding.provider,
            identified_at=binding.identified_at,
            has_identity_code=binding.has_hetu,
        )


def identity_for_staff(*, user, conversation_id: int) -> IdentitySummary | None:
    """The verified person of a conversation the professional may see, or None
    (not theirs, or nobody identified: answered alike)."""
    conversation = conversation_for_staff(user=user, conversation_id=conversation_id)
    if conversation is None:
        return None
    binding = IdentityBinding.objects.filter(conversation=conversation).first()
    return IdentitySummary.of(binding) if binding else None


def identity_for_resident(*, conversation_id: int) -> IdentitySummary | None:
    """The resident's own verified identity (the caller has checked the session)."""
    binding = IdentityBinding.objects.filter(conversation_id=conversation_id).first()
    return IdentitySummary.of(binding) if binding else None
