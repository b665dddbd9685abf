"""Inbound crisis frames (docs/protocol.md)."""

from __future__ import annotations

from typing import Literal

from conversations.protocol import Frame, Id


class CrisisClear(Frame):
    """A professional who may see the conversation clears its crisis flag."""

    type: Literal["crisis.clear"]
    conversation: Id


STAFF_CRISIS_FRAMES: tuple[type[Frame], ...] = (CrisisClear,)
