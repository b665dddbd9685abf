"""The call-back part of the chat sockets: mixed into the resident's and the
professional's consumers (customers.consumers, staff.consumers). Thin: the
rules are in callbacks.actions; this routes frames and events."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async

from callbacks import actions, selectors
from callbacks.frames import CallbackState
from callbacks.protocol import CallbackOutcomeFrame
from conversations.consumers import handles
from conversations.models import CallbackOutcome
from conversations.protocol import Access


class ResidentCallbacks:
    """The resident hears where their call-back is; they ask for one with the
    chat page's form (callbacks.views.request_callback)."""

    async def send_callback_state(self, conversation_id: int) -> None:
        """A page that (re)opens a call-back learns where it is."""
        state = await database_sync_to_async(selectors.resident_callback_of)(
            conversation_id=conversation_id
        )
        if state and state["state"]:
            await self.send_frame(  # type: ignore[attr-defined]
                CallbackState(
                    conversation=conversation_id,
                    state=state["state"],
                    attempts=state["attempts"],
                    phone_end=state["phone_end"],
                )
            )

    async def callback_changed(self, event: dict[str, Any]) -> None:
        fields = {k: v for k, v in event.items() if k != "type"}
        await self.send_frame(CallbackState(**fields))  # type: ignore[attr-defined]


class StaffCallbacks:
    """The professional marks what came of a call."""

    @handles(CallbackOutcomeFrame, Access.PARTICIPANT)
    async def on_callback_outcome(self, frame: CallbackOutcomeFrame, conversation_id: int) -> None:
        await database_sync_to_async(actions.record_outcome)(
            conversation_id=conversation_id,
            professional=self.user,  # type: ignore[attr-defined]
            outcome=CallbackOutcome(frame.outcome),
        )

    async def callback_changed(self, event: dict[str, Any]) -> None:
        """For the resident's socket; professionals follow it in `conversation.changed`."""
