"""The crisis part of the chat sockets, mixed into the resident's and the
professional's consumers. Thin: the rules are in crisis.actions."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async

from conversations.consumers import handles
from conversations.protocol import Access, MessageSend
from crisis import actions, selectors
from crisis.frames import CrisisAlert, CrisisMatch, CrisisMatches
from crisis.matching import find
from crisis.protocol import CrisisClear


class ResidentCrisis:
    """After a resident's message is stored and acknowledged, look for a phrase
    (in this process, without the database unless one is found)."""

    async def on_message_send(self, frame: MessageSend, conversation_id: int) -> None:
        await super().on_message_send(frame, conversation_id)  # type: ignore[misc]
        phrases = selectors.cached_phrases()
        if phrases is None:
            phrases = await database_sync_to_async(selectors.phrases)()
        if find(frame.body, phrases) is not None:
            await database_sync_to_async(actions.check_message)(
                conversation_id=conversation_id, client_id=frame.client_id
            )

    async def crisis_found(self, event: dict[str, Any]) -> None:
        """The banner, at once. (Clearing the flag is the professionals' business.)"""
        await self.send_frame(CrisisAlert(conversation=event["conversation"]))  # type: ignore[attr-defined]


class StaffCrisis:
    @handles(CrisisClear, Access.READER)
    async def on_crisis_clear(self, frame: CrisisClear, conversation_id: int) -> None:
        await database_sync_to_async(actions.clear)(
            conversation_id=conversation_id,
            professional=self.user,  # type: ignore[attr-defined]
        )

    async def crisis_found(self, event: dict[str, Any]) -> None:
        """A new match in a conversation this socket follows: highlight it."""
        fields = {k: event[k] for k in ("source", "seq", "phrase", "start", "end")}
        await self.send_frame(  # type: ignore[attr-defined]
            CrisisMatches(conversation=event["conversation"], matches=[CrisisMatch(**fields)])
        )

    async def send_crisis_matches(self, conversation_id: int) -> None:
        """After the conversation's details: what to highlight, if anything."""
        found = await database_sync_to_async(selectors.matches)(conversation_id=conversation_id)
        if found:
            await self.send_frame(  # type: ignore[attr-defined]
                CrisisMatches(
                    conversation=conversation_id, matches=[CrisisMatch(**m) for m in found]
                )
            )
