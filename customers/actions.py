"""Writes started from the resident's side. The anonymous session owns the conversation."""

from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction

from conversations import actions, selectors
from conversations.models import Conversation, Service
from crisis import actions as crisis_actions


def start_conversation(
    *,
    session: SessionBase,
    service: Service,
    name: str,
    phone: str,
    matter: str,
    language: str,
    identity_codes_masked: int = 0,
    sms_wanted: bool = False,
) -> Conversation:
    """Open a conversation and give its ownership to this browser session.
    `sms_wanted`: text the phone number when a professional is ready (notify)."""
    with transaction.atomic():  # the wish is stored before anyone can claim it
        conversation = actions.create_conversation(
            service=service,
            name=name,
            phone=phone,
            matter=matter,
            language=language,
            identity_codes_masked=identity_codes_masked,
        )
        if sms_wanted:
            conversation.sms_wanted = True
            conversation.save(update_fields=["sms_wanted"])
    # A crisis phrase in the matter: flagged before the resident's chat page
    # opens, which then shows the banner (crisis app).
    crisis_actions.check_intake(conversation_id=conversation.pk)
    session.cycle_key()  # a fresh key for the session that now owns a conversation
    session[selectors.SESSION_KEY] = conversation.pk
    # A browser-session cookie: closing the browser of a shared computer ends the
    # resident's access to the chat (the server side still expires after
    # SESSION_COOKIE_AGE). Staff sessions keep their own policy.
    session.set_expiry(0)
    return conversation


def end_and_clear(*, session: SessionBase) -> None:
    """The resident leaves: mark it for the professional, then end the session."""
    conversation = selectors.conversation_for_resident(session=session)
    if conversation is not None and conversation.is_open:
        actions.mark_resident_left(conversation_id=conversation.pk)
    session.flush()
