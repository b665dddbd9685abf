"""Production refuses a database that still holds the demo accounts.

`manage.py seed_demo` creates professionals and an administrator whose passwords
and TOTP secrets are published (README, staff/demo.py). Such a database must
never serve production: anyone could log in. Three guards, because daphne runs
no system checks:

- at start: chatservice/asgi.py calls `refuse_unsafe_start()`, which stops the
  process when active demo accounts exist;
- on requests: DemoAccountGuardMiddleware answers 503 until the check has passed
  once (a process that started while the database was unreachable);
- `manage.py check --deploy`: the system check below.

`manage.py disable_demo_accounts` deactivates them (no password, no TOTP).
"""

from __future__ import annotations

import logging
import threading
from functools import reduce
from operator import or_

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured, SynchronousOnlyOperation
from django.db import DatabaseError, connections
from django.db.models import Q

logger = logging.getLogger(__name__)


def demo_emails() -> list[str]:
    from staff.demo import ADMIN, PROFESSIONALS

    return [email for email, *_ in PROFESSIONALS] + [ADMIN[0]]


def demo_accounts() -> list[str]:
    """E-mail addresses of the demo accounts that can still log in (active)."""
    from staff.models import User

    match = reduce(or_, (Q(email__iexact=email) for email in demo_emails()))
    return sorted(User.objects.filter(match, is_active=True).values_list("email", flat=True))


def refusal(emails: list[str]) -> str:
    return (
        f"Demo accounts exist in this production database ({', '.join(emails)}): their "
        "passwords and TOTP secrets are published, so anyone could log in. Deactivate "
        "them with `python manage.py disable_demo_accounts`, then start again."
    )


class DemoAccountGuard:
    """Whether this process has seen the database free of demo accounts. Once it
    has, it stops asking (seed_demo refuses to run in production)."""

    def __init__(self) -> None:
        self.clean = False
        self._lock = threading.Lock()
        self._reported = False

    def passes(self) -> bool:
        """True once the database holds no active demo account; asks the database
        until then (its errors propagate: the outage handling answers those)."""
        if self.clean:
            return True
        emails = demo_accounts()
        with self._lock:
            if not emails:
                self.clean = True
                return True
            report, self._reported = not self._reported, True
        if report:  # once per process, not once per refused request
            logger.error("%s Every request is answered 503 until then.", refusal(emails))
        return False


guard = DemoAccountGuard()


def refuse_unsafe_start() -> None:
    """Called when the ASGI application is loaded. In production, raise
    ImproperlyConfigured (the server does not start) when demo accounts exist.
    When the database cannot be asked yet (unreachable, not migrated), the
    process starts and DemoAccountGuardMiddleware refuses requests until the
    check has passed."""
    if settings.ENVIRONMENT != "production":
        guard.clean = True
        return
    try:
        emails = demo_accounts()
    except (DatabaseError, SynchronousOnlyOperation) as exc:
        logger.warning(
            "Could not check the database for demo accounts at start (%s); "
            "requests are refused until the check has passed.",
            type(exc).__name__,
        )
        return
    finally:
        # This ran in the loading thread; requests use their own connections.
        connections.close_all()
    if emails:
        raise ImproperlyConfigured(refusal(emails))
    guard.clean = True


@register(Tags.security, deploy=True)
def check_demo_accounts(app_configs, **kwargs):
    """`manage.py check --deploy`: the database must not hold active demo accounts."""
    try:
        emails = demo_accounts()
    except DatabaseError as exc:
        return [
            Warning(
                f"Could not check the database for demo accounts ({type(exc).__name__}).",
                hint="Run the check where DATABASE_URL reaches the production database.",
                id="chatservice.W001",
            )
        ]
    if emails:
        return [
            Error(
                refusal(emails),
                hint="python manage.py disable_demo_accounts",
                id="chatservice.E001",
            )
        ]
    return []
