"""Outbound crisis frames (docs/protocol.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from conversations.frames import OutFrame


class CrisisAlert(OutFrame):
    """To the resident: a phrase was found in what they wrote; show the banner
    with 112 and the crisis lines (the page holds them)."""

    type: Literal["crisis.alert"] = "crisis.alert"
    conversation: int


class CrisisMatch(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    source: Literal["intake", "message"]
    seq: int | None
    phrase: str
    start: int
    end: int


class CrisisMatches(OutFrame):
    """To the professional who opened the conversation: where phrases were found
    (the matter, or a message by seq, and the span in its text) to highlight."""

    type: Literal["crisis.matches"] = "crisis.matches"
    conversation: int
    matches: list[CrisisMatch]


CRISIS_FRAMES: tuple[type[OutFrame], ...] = (CrisisAlert, CrisisMatches)
