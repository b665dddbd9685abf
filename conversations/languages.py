"""Language-aware routing. Professionals declare the languages they serve in
(`languages` on the staff user; none declared: any). A service in strict mode
offers a waiting conversation only to professionals who speak its language until
the service's fallback wait has passed, then to everyone, so that nobody waits
forever. The resident's wait estimate counts how many of the service's
professionals who are available speak their language."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from conversations.models import Conversation, Service

# A resident whose language few available professionals speak waits longer, up
# to this many times the service's usual pace.
MAX_WAIT_FACTOR = 4.0


def speaks(declared: Iterable[str] | None, language: str) -> bool:
    declared = list(declared or [])
    return not declared or language in declared


def offered_to_all_at(conversation: Conversation, service: Service) -> datetime | None:
    """When a strict service's conversation is offered to every professional
    (None: to everyone from the start)."""
    if not service.language_strict:
        return None
    return conversation.created_at + timedelta(minutes=service.language_fallback_minutes)


def offered_to(
    conversation: Conversation, professional: Any, *, now: datetime | None = None
) -> bool:
    """May this professional take the conversation now?"""
    if speaks(getattr(professional, "languages", None), conversation.language):
        return True
    until = offered_to_all_at(conversation, conversation.service)
    return until is None or (now or timezone.now()) >= until


def wait_factor(declared_by_available: list[list[str]], language: str) -> float:
    """The available professionals over those of them who speak `language`: 1 when
    all do (or nobody is available to say otherwise), at most MAX_WAIT_FACTOR."""
    total = len(declared_by_available)
    speakers = sum(1 for declared in declared_by_available if speaks(declared, language))
    if not total or speakers >= total:
        return 1.0
    return min(MAX_WAIT_FACTOR, total / speakers) if speakers else MAX_WAIT_FACTOR


def available_languages(*, service: Service) -> list[list[str]]:
    """What each of the service's professionals marked available declared."""
    return [
        list(declared or [])
        for declared in service.professionals.filter(
            presence="available", is_active=True
        ).values_list("languages", flat=True)
    ]
