"""Handing rows that wait to be sent (transcript e-mails, text messages) to the
Celery broker, exactly once however often it is tried: one mechanism for every
app with such an outbox.

A row is `queued` until a task claims it (`sending`, one UPDATE only one task can
win) and sends it. `queued_at` says when it last reached the broker; a broker
that is down leaves it empty. `requeue` hands over again what the broker never
got (after `grace_seconds`) or lost (after `requeue_minutes`), and gives up
claims older than `stale_minutes` (a worker that died mid-send: it may have
sent, so never again)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Model, Q
from django.utils import timezone

logger = logging.getLogger(__name__)


class BrokerUnavailable(Exception):
    """The row could not be handed to Celery now; it stays queued."""


def hand_over(
    task: Any, pk: int, *, model: type[Model], queued: str, now: datetime | None = None
) -> None:
    """`task.delay(pk)`, then note when (if the row still waits to be sent)."""
    try:
        task.delay(pk)
    except Exception as exc:  # kombu's OperationalError, a socket error, …
        raise BrokerUnavailable(type(exc).__name__) from exc
    model._default_manager.filter(pk=pk, state=queued).update(queued_at=now or timezone.now())


def requeue(
    *,
    model: type[Model],
    queued: str,
    sending: str,
    hand_over: Callable[..., None],
    give_up: Callable[[int], object],
    grace_seconds: float,
    requeue_minutes: float,
    stale_minutes: float,
    what: str,
    now: datetime | None = None,
) -> int:
    """Give up stale claims, then hand over what is due, oldest first; stop at the
    first broker failure (the next round tries again). Returns how many."""
    now = now or timezone.now()
    rows = model._default_manager
    stale = rows.filter(
        state=sending, claimed_at__lt=now - timedelta(minutes=stale_minutes)
    ).values_list("pk", flat=True)
    for pk in list(stale):
        give_up(pk)
    due = (
        rows.filter(state=queued)
        .filter(
            Q(queued_at__isnull=True, created_at__lte=now - timedelta(seconds=grace_seconds))
            | Q(queued_at__lte=now - timedelta(minutes=requeue_minutes))
        )
        .order_by("created_at", "id")
        .values_list("pk", flat=True)
    )
    handed = 0
    for pk in list(due):
        try:
            hand_over(pk, now=now)
        except BrokerUnavailable as exc:
            logger.warning("re-queueing %s failed (%s); next round", what, exc)
            break
        handed += 1
    if handed:
        logger.info("re-queued %d %s", handed, what)
    return handed
