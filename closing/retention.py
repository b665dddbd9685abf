"""The retention purge: conversations closed longer ago than their service's
retention period go, with their content; the anonymous statistics stay.

`now` is a parameter everywhere, so tests pass the time instead of waiting."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import reduce
from operator import or_

from django.db.models import Count, Min, Q
from django.utils import timezone

from closing import actions
from conversations.models import Conversation, ConversationStatus, Service
from conversations.sweeps import each
from surveys.models import SurveyResponse

logger = logging.getLogger(__name__)


@dataclass
class ServicePurge:
    service: str
    retention_days: int
    cutoff: datetime
    conversations: int
    oldest_closed: datetime | None


@dataclass
class PurgeSummary:
    services: list[ServicePurge] = field(default_factory=list)
    purged: int = 0
    comments_cleared: int = 0

    @property
    def due(self) -> int:
        return sum(s.conversations for s in self.services)


def cutoffs(now: datetime) -> dict[int, datetime]:
    """Per service: conversations closed before this are past retention."""
    return {
        pk: now - timedelta(days=days)
        for pk, days in Service.objects.values_list("pk", "retention_days")
    }


def _expired_q(cutoff_by_service: dict[int, datetime]) -> Q:
    if not cutoff_by_service:
        return Q(pk__in=[])
    return reduce(
        or_, (Q(service_id=pk, closed_at__lt=cut) for pk, cut in cutoff_by_service.items())
    )


def expired_conversations(cutoff_by_service: dict[int, datetime]):
    return Conversation.objects.filter(status=ConversationStatus.CLOSED).filter(
        _expired_q(cutoff_by_service)
    )


def plan(*, now: datetime | None = None) -> PurgeSummary:
    """What a purge at `now` would delete, per service (two queries; changes nothing)."""
    now = now or timezone.now()
    cut = cutoffs(now)
    rows = {
        row["service_id"]: row
        for row in expired_conversations(cut)
        .values("service_id")
        .annotate(n=Count("id"), oldest=Min("closed_at"))
        .order_by()
    }
    summary = PurgeSummary()
    for service in Service.objects.filter(pk__in=rows):
        row = rows[service.pk]
        summary.services.append(
            ServicePurge(
                service.slug, service.retention_days, cut[service.pk], row["n"], row["oldest"]
            )
        )
    return summary


def purge_expired(*, now: datetime | None = None, dry_run: bool = False) -> PurgeSummary:
    """Delete what is past retention (or, with `dry_run`, only say what would go).
    One conversation per transaction; one failure is logged and the rest go on.
    Free-text survey comments of the same age are emptied; the scores stay."""
    now = now or timezone.now()
    summary = plan(now=now)
    if dry_run:
        return summary
    cut = cutoffs(now)
    ids = list(expired_conversations(cut).order_by("closed_at", "id").values_list("id", flat=True))
    summary.purged = each(
        ids,
        lambda pk: actions.purge_conversation(conversation_id=pk, cutoff_by_service=cut),
        what="purging a conversation past retention",
    )
    if cut:
        old_comments = reduce(or_, (Q(service_id=pk, started_hour__lt=c) for pk, c in cut.items()))
        summary.comments_cleared = (
            SurveyResponse.objects.filter(old_comments).exclude(comment="").update(comment="")
        )
    if summary.purged or summary.comments_cleared:
        logger.info(
            "retention purge: %s conversations deleted, %s survey comments emptied",
            summary.purged,
            summary.comments_cleared,
        )
    return summary
