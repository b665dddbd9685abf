"""Reads for the professional's side."""

from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from allauth.mfa.models import Authenticator
from django.contrib.sessions.models import Session
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Min, Q
from django.utils import timezone

from conversations import selectors
from conversations.events import ConversationSummary
from conversations.models import CloseReason, Conversation, ConversationStatus, Service
from staff.models import (
    CONNECTION_STALE_AFTER,
    CannedReply,
    CloseReasonOption,
    Presence,
    StaffConnection,
    User,
)


def has_mfa(*, user) -> bool:
    """The account has a TOTP authenticator (recovery codes alone do not count)."""
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def may_use_staff_socket(*, user) -> bool:
    return bool(user.is_authenticated and user.is_staff and has_mfa(user=user))


def session_is_active(*, session_key: str | None) -> bool:
    """The staff session still exists and has not expired (idle timeout, logout)."""
    return bool(
        session_key
        and Session.objects.filter(session_key=session_key, expire_date__gt=timezone.now()).exists()
    )


def staff_socket_state(*, user: User) -> dict[str, Any]:
    """What the staff socket's hello carries: my services, their queue, my chats."""
    service_ids = selectors.service_ids_for_staff(user=user)
    queue = selectors.waiting_conversations(service_ids=service_ids)
    active = selectors.active_conversations_for_staff(user=user)
    return {
        "user": {
            "id": user.pk,
            "name": user.get_short_name() or user.get_username(),
            "presence": user.presence,
            "max_active_chats": user.max_active_chats,
        },
        "services": service_ids,
        "queue": [asdict(ConversationSummary.of(c)) for c in queue],
        "active": [asdict(ConversationSummary.of(c)) for c in active],
    }


def dashboard_config(*, user: User) -> dict[str, Any]:
    """The dashboard page's static data: services, colleagues, ready texts, reasons.
    A constant number of queries whatever the queue length."""
    service_ids = selectors.service_ids_for_staff(user=user)
    services = list(Service.objects.filter(is_active=True).order_by("ordering", "slug"))
    colleagues = (
        User.objects.filter(is_staff=True, is_active=True, services__in=service_ids)
        .exclude(pk=user.pk)
        .distinct()
        .order_by("first_name", "email")
    )
    replies = CannedReply.objects.filter(is_active=True).filter(
        Q(service__isnull=True) | Q(service_id__in=service_ids)
    )
    return {
        "user_id": user.pk,
        "user_name": user.get_short_name() or user.get_username(),
        "my_services": service_ids,
        "services": [{"id": s.pk, "name": s.name()} for s in services],
        "colleagues": [
            {"id": c.pk, "name": c.get_full_name() or c.get_username()} for c in colleagues
        ],
        "canned_replies": [
            {
                "service": r.service_id,
                "language": r.language,
                "shortcut": r.shortcut,
                "title": r.title,
                "body": r.body,
            }
            for r in replies
        ],
        "close_reasons": [
            {"code": r.code, "label": r.label}
            for r in CloseReasonOption.objects.filter(is_active=True)
        ],
    }


def conversation_detail(*, conversation: Conversation) -> dict[str, Any]:
    """What a professional sees on opening a conversation (audited by the caller)."""
    return {
        "type": "conversation.detail",
        "conversation": asdict(ConversationSummary.of(conversation)),
        "resident_phone": conversation.resident_phone,
        "service_name": conversation.service.name(),
        "notes": selectors.notes_for(conversation_id=conversation.pk),
    }


def supervisor_figures(*, user: User, now: datetime | None = None) -> dict[str, Any]:
    """Per service: waiting now, longest wait, active chats, professionals available;
    and today's totals. Constant queries whatever the volume."""
    now = now or timezone.now()
    service_ids = selectors.service_ids_for_staff(user=user)
    services = Service.objects.filter(pk__in=service_ids).order_by("ordering", "slug")
    live = {
        row["service_id"]: row
        for row in Conversation.objects.filter(service_id__in=service_ids)
        .exclude(status=ConversationStatus.CLOSED)
        .values("service_id")
        .annotate(
            waiting=Count("id", filter=Q(status=ConversationStatus.WAITING)),
            active=Count("id", filter=Q(status=ConversationStatus.ACTIVE)),
            oldest=Min("created_at", filter=Q(status=ConversationStatus.WAITING)),
        )
    }
    fresh = now - CONNECTION_STALE_AFTER
    available = {
        row["services"]: row["n"]
        for row in User.objects.filter(
            services__in=service_ids,
            presence=Presence.AVAILABLE,
            pk__in=StaffConnection.objects.filter(last_seen__gte=fresh).values("user_id"),
        )
        .values("services")
        .annotate(n=Count("id", distinct=True))
    }
    start_of_day = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    today = Conversation.objects.filter(service_id__in=service_ids, created_at__gte=start_of_day)
    wait = ExpressionWrapper(F("claimed_at") - F("created_at"), output_field=DurationField())
    handling = ExpressionWrapper(F("closed_at") - F("claimed_at"), output_field=DurationField())
    totals = today.aggregate(
        started=Count("id"),
        closed=Count("id", filter=Q(status=ConversationStatus.CLOSED)),
        abandoned=Count(
            "id", filter=Q(close_reason__in=[CloseReason.ABANDONED, CloseReason.SERVICE_CLOSED])
        ),
        average_wait=Avg(wait, filter=Q(claimed_at__isnull=False)),
        average_handling=Avg(handling, filter=Q(closed_at__isnull=False, claimed_at__isnull=False)),
    )
    return {
        "services": [
            {
                "id": s.pk,
                "name": s.name(),
                "waiting": live.get(s.pk, {}).get("waiting", 0),
                "active": live.get(s.pk, {}).get("active", 0),
                "longest_wait_seconds": (
                    int((now - live[s.pk]["oldest"]).total_seconds())
                    if live.get(s.pk, {}).get("oldest")
                    else 0
                ),
                "available": available.get(s.pk, 0),
            }
            for s in services
        ],
        "today": {
            "started": totals["started"],
            "closed": totals["closed"],
            "abandoned": totals["abandoned"],
            "average_wait_seconds": _seconds(totals["average_wait"]),
            "average_handling_seconds": _seconds(totals["average_handling"]),
        },
    }


def _seconds(value: timedelta | None) -> int | None:
    return None if value is None else int(value.total_seconds())
