"""A staff socket lives only as long as the login session it was opened with.

Three ways a session ends while its sockets are open, and how each reaches them:

- **Logout**: the `user_logged_out` receiver (`end_sockets_at_logout`, connected
  in `StaffConfig.ready`) publishes `session.ended` with the session's digest to
  the user's group; the sockets of that session close with 4401 at once, the
  user's other sessions keep theirs.
- **Deactivation** (`is_active=False` in the admin): every socket of the user.
- **Anything else** (idle expiry, password change, deactivation outside the
  admin): each socket checks its session on a server-side timer
  (`SessionCheck`, every STAFF_SESSION_CHECK_SECONDS), also when the page only
  listens. A check that cannot reach the database keeps the socket and tries
  again next round.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from channels.db import database_sync_to_async
from django.conf import settings
from django.utils.crypto import salted_hmac

from conversations import outages

logger = logging.getLogger(__name__)


def session_digest(session_key: str | None) -> str:
    """What travels over the channel layer instead of the session key (a
    credential): a keyed digest that only this service can compute."""
    if not session_key:
        return ""
    return salted_hmac("staff.sessions.digest", session_key).hexdigest()[:32]


def end_sockets_at_logout(sender, request, user, **kwargs) -> None:
    """`user_logged_out` receiver: close the staff sockets of the ended session."""
    if user is None or not getattr(user, "is_staff", False):
        return
    from staff.actions import end_staff_sockets

    end_staff_sockets(user_id=user.pk, session_key=request.session.session_key or "")


class SessionCheck:
    """A staff socket's timer: every STAFF_SESSION_CHECK_SECONDS, is the session
    it was opened with still a valid staff login? If not, `on_ended` runs once
    and the timer stops. `check` may be given for tests; by default it is
    `staff.selectors.session_is_active` for the socket's user and session."""

    def __init__(
        self,
        *,
        user,
        session_key: str | None,
        on_ended: Callable[[], Awaitable[None]],
        check: Callable[[], bool] | None = None,
    ) -> None:
        self.user = user
        self.session_key = session_key
        self.on_ended = on_ended
        self._check = check or self._session_is_active
        self._task: asyncio.Task | None = None

    def _session_is_active(self) -> bool:
        from staff.selectors import session_is_active

        return session_is_active(session_key=self.session_key, user=self.user)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def still_valid(self) -> bool:
        """One check. True also when it could not be made (database down): the
        socket is kept and checked again next round, never closed with 1011."""
        try:
            valid = await database_sync_to_async(self._check)()
        except Exception as exc:
            if not outages.note(exc):
                logger.exception("staff session check failed")
            return True
        outages.database.recovered()
        return bool(valid)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(settings.STAFF_SESSION_CHECK_SECONDS)
            if not await self.still_valid():
                self._task = None
                try:
                    await self.on_ended()
                except Exception:  # the socket went meanwhile
                    logger.warning("ending a staff socket failed", exc_info=True)
                return
