"""Inbound call-back frames (docs/protocol.md). The resident asks for a call-back
with a form on the chat page (callbacks.views.request_callback), like the page's
other forms; the professional marks the outcome of a call over the socket."""

from __future__ import annotations

from typing import Literal

from conversations.protocol import Frame, Id


class CallbackOutcomeFrame(Frame):
    """The assigned professional called: `reached` closes the conversation,
    `no_answer` / `try_again` put it back in the queue in its place."""

    type: Literal["callback.outcome"]
    conversation: Id
    outcome: Literal["reached", "no_answer", "try_again"]


STAFF_CALLBACK_FRAMES: tuple[type[Frame], ...] = (CallbackOutcomeFrame,)
