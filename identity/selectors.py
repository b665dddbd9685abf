"""Reads of identification state. Permission-checked fetches say so in their name."""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends.base import SessionBase
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from conversations.models import Conversation
from identity.errors import failure_message
from identity.models import OPEN_STATES, IdentificationRequest, IdentityBinding, RequestState

# What the resident's chat says while a request is under way or after success.
STATE_MESSAGES: dict[str, Any] = {
    RequestState.REQUESTED: _(
        "The professional asks you to identify yourself strongly, with bank codes or a "
        "mobile certificate. Identification opens in a new window; when you are done, "
        "close it and continue here. Never type your personal identity code in the chat."
    ),
    RequestState.STARTED: _(
        "Identification is under way in another window. When you are done, close it and "
        "continue here."
    ),
    RequestState.COMPLETED: _(
        "You have been identified. The chat continues with your verified identity."
    ),
}

# The resident's session remembers the request it opened, to fail it on a
# callback that comes back with someone else's state.
SESSION_REQUEST_KEY = "identification_request"


def session_digest(session: SessionBase) -> str:
    """A keyed digest of the session key: the request remembers which browser
    session opened it without storing the key itself."""
    if not session.session_key:
        return ""
    return salted_hmac("identity.session", session.session_key).hexdigest()


def start_link(request: IdentificationRequest) -> str:
    """The path that starts identification; it works only in the resident's session."""
    return reverse("identity:start", args=[request.token])


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


def person_of(binding: IdentityBinding) -> dict[str, Any]:
    """The verified person as the professional's frames carry it (frames.Person):
    never the identity code."""
    return {
        "given_names": binding.given_names,
        "family_name": binding.family_name,
        "birth_date": binding.birth_date.isoformat() if binding.birth_date else "",
        "level": binding.level,
        "provider": binding.provider,
        "identified_at": binding.identified_at.isoformat(),
        "has_identity_code": binding.has_hetu,
    }


def person_fields(*, conversation_id: int) -> dict[str, Any] | None:
    """The verified person of a conversation, or None. The caller has checked
    that the professional may see the conversation."""
    binding = IdentityBinding.objects.filter(conversation_id=conversation_id).first()
    return person_of(binding) if binding else None


def resident_message(*, state: str, failure: str) -> str:
    """What the resident's chat says about the identification request, in the
    active language."""
    if state in (RequestState.FAILED, RequestState.CANCELLED, RequestState.EXPIRED):
        return str(failure_message(failure))
    return str(STATE_MESSAGES.get(state, ""))


def resident_identification(*, conversation: Conversation) -> dict[str, Any]:
    """The resident's view of their identification request (frames.ResidentIdentification):
    the link while it waits to be opened, in their own browser session only."""
    state = conversation.identification
    pending = (
        open_request(conversation_id=conversation.pk) if state == RequestState.REQUESTED else None
    )
    return {
        "state": state,
        "failure": conversation.identification_failure,
        "link": start_link(pending) if pending else "",
        "expires": pending.expires_at.isoformat() if pending else "",
        "message": resident_message(state=state, failure=conversation.identification_failure),
        "identified": conversation.identified_at is not None,
    }
