"""Reads for the professional's side."""

from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import auth
from django.contrib.sessions.models import Session
from django.db.models import (
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from conversations import connections, languages, selectors
from conversations.events import ConversationSummary
from conversations.models import ActorKind, Conversation, ConversationStatus, Service
from identity.selectors import person_fields
from staff.models import (
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
    return bool(user.is_authenticated and user.is_active and user.is_staff and has_mfa(user=user))


def session_is_active(*, session_key: str | None, user=None) -> bool:
    """The staff session still exists and has not expired (idle timeout, logout).

    With `user` (a socket's periodic check), also that the session is still
    that user's login, the account is still an active staff account with a
    second factor (deactivation), and its password has not changed since."""
    if not session_key:
        return False
    session = Session.objects.filter(
        session_key=session_key, expire_date__gt=timezone.now()
    ).first()
    if session is None:
        return False
    if user is None:
        return True
    current = User.objects.filter(pk=user.pk, is_active=True, is_staff=True).first()
    if current is None or not has_mfa(user=current):
        return False
    data = session.get_decoded()
    if str(data.get(auth.SESSION_KEY)) != str(current.pk):
        return False
    stored = data.get(auth.HASH_SESSION_KEY) or ""
    return any(
        constant_time_compare(stored, expected)
        for expected in (
            current.get_session_auth_hash(),
            *current.get_session_auth_fallback_hash(),
        )
    )


def colleague_is_reachable(*, colleague: User, now: datetime | None = None) -> bool:
    """A colleague can be handed a conversation: not away, with a live socket."""
    return (
        colleague.is_active
        and colleague.presence != Presence.AWAY
        and StaffConnection.objects.filter(
            user=colleague, last_seen__gte=connections.stale_before(now)
        ).exists()
    )


def colleagues_who_can_take(
    *, user: User, service_ids: list[int] | None = None, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Colleagues in the user's services who could take a conversation now: not
    away, with a live socket, under their limit of concurrent chats. Each with
    the services they work in (a transfer stays within the conversation's
    service). Two queries (one when nobody can)."""
    if service_ids is None:
        service_ids = selectors.service_ids_for_staff(user=user)
    active = (
        Conversation.objects.filter(assigned_to=OuterRef("pk"), status=ConversationStatus.ACTIVE)
        .order_by()
        .values("assigned_to")
        .annotate(n=Count("id"))
        .values("n")
    )
    colleagues = (
        User.objects.filter(
            is_staff=True,
            is_active=True,
            services__in=service_ids,
            pk__in=StaffConnection.objects.filter(
                last_seen__gte=connections.stale_before(now)
            ).values("user_id"),
        )
        .exclude(pk=user.pk)
        .exclude(presence=Presence.AWAY)
        .annotate(active_chats=Coalesce(Subquery(active), 0))
        .filter(active_chats__lt=F("max_active_chats"))
        .prefetch_related(Prefetch("services", queryset=Service.objects.only("id")))
        .distinct()
        .order_by("first_name", "email")
    )
    return [
        {
            "id": c.pk,
            "name": c.get_full_name() or c.get_username(),
            "presence": c.presence,
            "services": sorted(s.pk for s in c.services.all() if s.pk in service_ids),
        }
        for c in colleagues
    ]


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
    replies = CannedReply.objects.filter(is_active=True).filter(
        Q(service__isnull=True) | Q(service_id__in=service_ids)
    )
    return {
        "user_id": user.pk,
        "user_name": user.get_short_name() or user.get_username(),
        "my_services": service_ids,
        # Residents of these languages come first in this professional's queue
        # (none declared: every language is theirs).
        "my_languages": list(user.languages or []),
        "services": [
            {
                "id": s.pk,
                "name": s.name(),
                # A strict service offers a conversation in a language this professional
                # does not speak only after this many minutes (conversations.languages).
                "language_fallback_minutes": (
                    s.language_fallback_minutes if s.language_strict else None
                ),
            }
            for s in services
        ],
        # Only those who can take a conversation now (the transfer re-checks).
        "colleagues": colleagues_who_can_take(user=user, service_ids=service_ids),
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
        "conversation": asdict(ConversationSummary.of(conversation)),
        "resident_phone": conversation.resident_phone,
        "service_name": conversation.service.name(),
        "notes": [note.fields() for note in selectors.notes_for(conversation_id=conversation.pk)],
        "person": person_fields(conversation_id=conversation.pk),
    }


def supervisor_figures(*, user: User, now: datetime | None = None) -> dict[str, Any]:
    """Per service: waiting now, longest wait, active chats, professionals available;
    and today's totals. Constant queries whatever the volume."""
    now = now or timezone.now()
    service_ids = selectors.service_ids_for_staff(user=user)
    services = list(Service.objects.filter(pk__in=service_ids).order_by("ordering", "slug"))
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
    fresh = connections.stale_before(now)
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
    by_language = _language_counts(service_ids=[s.pk for s in services], now=now)
    start_of_day = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    today = Conversation.objects.filter(service_id__in=service_ids, created_at__gte=start_of_day)
    wait = ExpressionWrapper(F("claimed_at") - F("created_at"), output_field=DurationField())
    handling = ExpressionWrapper(F("closed_at") - F("claimed_at"), output_field=DurationField())
    totals = today.aggregate(
        started=Count("id"),
        closed=Count("id", filter=Q(status=ConversationStatus.CLOSED)),
        abandoned=Count("id", filter=Q(closed_by=ActorKind.SYSTEM)),
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
        "languages": by_language,
        "today": {
            "started": totals["started"],
            "closed": totals["closed"],
            "abandoned": totals["abandoned"],
            "average_wait_seconds": _seconds(totals["average_wait"]),
            "average_handling_seconds": _seconds(totals["average_handling"]),
        },
    }


def _language_counts(*, service_ids: list[int], now: datetime) -> list[dict[str, Any]]:
    """Per service and language: residents waiting, and professionals available now
    (presence and a live socket) who speak it; one who declared no language counts
    for every language. Two queries."""
    waiting = {
        (row["service_id"], row["language"]): row["n"]
        for row in Conversation.objects.filter(
            service_id__in=service_ids, status=ConversationStatus.WAITING
        )
        .values("service_id", "language")
        .annotate(n=Count("id"))
    }
    fresh = connections.stale_before(now)
    declared: dict[int, list[list[str]]] = {}
    for _user, service_id, user_languages in (
        User.objects.filter(
            services__in=service_ids,
            presence=Presence.AVAILABLE,
            pk__in=StaffConnection.objects.filter(last_seen__gte=fresh).values("user_id"),
        )
        .values_list("pk", "services", "languages")
        .distinct()
    ):
        declared.setdefault(service_id, []).append(list(user_languages or []))
    return [
        {
            "service": service_id,
            "language": code,
            "language_name": str(name),
            "waiting": waiting.get((service_id, code), 0),
            "available": sum(
                1 for langs in declared.get(service_id, []) if languages.speaks(langs, code)
            ),
        }
        for service_id in service_ids
        for code, name in settings.LANGUAGES
    ]


def _seconds(value: timedelta | None) -> int | None:
    return None if value is None else int(value.total_seconds())
