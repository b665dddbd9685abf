"""Data for a benchmark run, written straight to the server's database: N active
conversations, each with its own professional (TOTP set up) and a resident and a
staff session. Also the after-run check against the database."""

import base64
import os
import secrets
from datetime import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatservice.settings")
django.setup()

from allauth.mfa.models import Authenticator  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.contrib.sessions.models import Session  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from conversations.models import Conversation, Message, OpeningHours, Service  # noqa: E402
from conversations.selectors import SESSION_KEY as CHAT_SESSION_KEY  # noqa: E402
from staff.models import User  # noqa: E402

PASSWORD_HASH = "!bench-no-password"  # noqa: S105 - unusable password: sessions only


def _session(data: dict) -> tuple[str, Session]:
    key = secrets.token_hex(16)
    store = SessionStore()
    expire = timezone.now() + timezone.timedelta(hours=12)
    return key, Session(session_key=key, session_data=store.encode(data), expire_date=expire)


@transaction.atomic
def create(n: int, *, waiting: int = 0, tag: str = "bench") -> list[dict]:
    """N active conversations, one professional each; plus `waiting` unclaimed ones."""
    service, _ = Service.objects.get_or_create(
        slug=tag, defaults={"name_sv": tag, "name_fi": tag, "name_en": tag}
    )
    if not service.opening_hours.exists():
        OpeningHours.objects.bulk_create(
            OpeningHours(service=service, weekday=d, opens=time(0), closes=time(23, 59, 59))
            for d in range(7)
        )
    start = User.objects.filter(username__startswith=f"{tag}-").count()
    users = User.objects.bulk_create(
        User(
            username=f"{tag}-{start + i}",
            email=f"{tag}-{start + i}@bench.invalid",
            password=PASSWORD_HASH,
            is_staff=True,
            max_active_chats=1000,
            first_name=f"Pro{start + i}",
        )
        for i in range(n)
    )
    users = list(User.objects.filter(username__in=[u.username for u in users]).order_by("id"))
    service.professionals.add(*users)
    secret = base64.b32encode(secrets.token_bytes(20)).decode()
    Authenticator.objects.bulk_create(
        Authenticator(user=u, type=Authenticator.Type.TOTP, data={"secret": secret}) for u in users
    )
    now = timezone.now()
    conversations = Conversation.objects.bulk_create(
        [
            Conversation(
                service=service,
                status="active",
                assigned_to=u,
                claimed_at=now,
                resident_name=f"Resident {u.pk}",
                resident_phone="+358401234567",
                matter="bench",
            )
            for u in users
        ]
        + [
            Conversation(
                service=service,
                resident_name=f"Waiting {i}",
                resident_phone="+358401234567",
                matter="bench",
            )
            for i in range(waiting)
        ]
    )
    active = list(Conversation.objects.filter(service=service, status="active").order_by("id"))
    conversations = active[-n:] if n else []
    rows, sessions = [], []
    backend = "django.contrib.auth.backends.ModelBackend"
    for user, conversation in zip(users, conversations, strict=True):
        resident_key, resident = _session({CHAT_SESSION_KEY: conversation.pk})
        staff_key, staff = _session(
            {
                SESSION_KEY: str(user.pk),
                BACKEND_SESSION_KEY: backend,
                HASH_SESSION_KEY: user.get_session_auth_hash(),
            }
        )
        sessions += [resident, staff]
        rows.append({"conversation": conversation.pk, "resident": resident_key, "staff": staff_key})
    Session.objects.bulk_create(sessions)
    return rows


def stored_client_ids(conversation_ids: list[int]) -> dict[int, list[str]]:
    result: dict[int, list[str]] = {cid: [] for cid in conversation_ids}
    for cid, client_id in Message.objects.filter(conversation_id__in=conversation_ids).values_list(
        "conversation_id", "client_id"
    ):
        result[cid].append(client_id)
    return result


def cookie_name() -> str:
    return settings.SESSION_COOKIE_NAME


@transaction.atomic
def create_queue(waiting: int, professionals: int, *, tag: str = "surge") -> dict:
    """One service with `waiting` residents in its queue (oldest first, one
    session each) and `professionals` who work in it, none of them busy."""
    service, _ = Service.objects.get_or_create(
        slug=tag, defaults={"name_sv": tag, "name_fi": tag, "name_en": tag}
    )
    if not service.opening_hours.exists():
        OpeningHours.objects.bulk_create(
            OpeningHours(service=service, weekday=d, opens=time(0), closes=time(23, 59, 59))
            for d in range(7)
        )
    users = User.objects.bulk_create(
        User(
            username=f"{tag}-{i}",
            email=f"{tag}-{i}@bench.invalid",
            password=PASSWORD_HASH,
            is_staff=True,
            max_active_chats=10000,
            first_name=f"Pro{i}",
        )
        for i in range(professionals)
    )
    users = list(User.objects.filter(username__in=[u.username for u in users]).order_by("id"))
    service.professionals.add(*users)
    secret = base64.b32encode(secrets.token_bytes(20)).decode()
    Authenticator.objects.bulk_create(
        Authenticator(user=u, type=Authenticator.Type.TOTP, data={"secret": secret}) for u in users
    )
    # Just now, in order (a millisecond apart): older waiting conversations with
    # no socket yet would be closed as abandoned by the sweep.
    start = timezone.now() - timezone.timedelta(milliseconds=waiting)
    Conversation.objects.bulk_create(
        Conversation(
            service=service,
            resident_name=f"Waiting {i}",
            resident_phone="+358401234567",
            matter="bench",
            created_at=start + timezone.timedelta(milliseconds=i),
        )
        for i in range(waiting)
    )
    queue = list(
        Conversation.objects.filter(service=service, status="waiting")
        .order_by("created_at", "id")
        .values_list("id", flat=True)
    )
    backend = "django.contrib.auth.backends.ModelBackend"
    residents, staff, sessions = [], [], []
    for conversation_id in queue:
        key, session = _session({CHAT_SESSION_KEY: conversation_id})
        residents.append({"conversation": conversation_id, "resident": key})
        sessions.append(session)
    for user in users:
        key, session = _session(
            {
                SESSION_KEY: str(user.pk),
                BACKEND_SESSION_KEY: backend,
                HASH_SESSION_KEY: user.get_session_auth_hash(),
            }
        )
        staff.append(key)
        sessions.append(session)
    Session.objects.bulk_create(sessions)
    return {"service": service.pk, "residents": residents, "staff": staff}
