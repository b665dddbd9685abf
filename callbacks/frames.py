"""Outbound call-back frames (docs/protocol.md)."""

from __future__ import annotations

from typing import Literal

from conversations.frames import OutFrame

CallbackStateName = Literal["requested", "calling", "retry", "reached", "not_reached"]


class CallbackState(OutFrame):
    """To the resident: where their call-back is. `phone_end` is the last digits
    of the number they gave (the page never shows the whole number)."""

    type: Literal["callback.state"] = "callback.state"
    conversation: int
    state: CallbackStateName
    attempts: int
    phone_end: str


CALLBACK_FRAMES: tuple[type[OutFrame], ...] = (CallbackState,)
