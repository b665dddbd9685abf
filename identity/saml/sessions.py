"""The resident's session at the identity provider, kept for single logout.

After a successful identification the provider stashes the transient NameID and
the SessionIndex under the RelayState's digest (identity.providers.saml); the
ACS view, which knows the resident's session, moves them into it (`adopt`) and
indexes the session by them, so that a LogoutRequest from the identity provider
(which arrives in a frame, without our cookies) finds it. Neither value says
anything about the person: the NameID is transient, the SessionIndex random.
"""

from __future__ import annotations

import hashlib
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core.cache import cache

SESSION_KEY = "identity_saml_login"
STASH_SECONDS = 600


def _digest(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _stash_key(relay_state: str) -> str:
    return "identity:saml:login:" + _digest(relay_state)


def _index_key(idp: str, name_id: str) -> str:
    return "identity:saml:session:" + _digest(idp, name_id)


def stash_login(relay_state: str, login: dict[str, str]) -> None:
    if relay_state:
        cache.set(_stash_key(relay_state), login, STASH_SECONDS)


def adopt(session: SessionBase, relay_state: str) -> None:
    """Move the stashed login into `session` (after its key was cycled) and
    index the session by the NameID for logouts the identity provider starts."""
    login = cache.get(_stash_key(relay_state)) if relay_state else None
    cache.delete(_stash_key(relay_state))
    if not isinstance(login, dict):
        return
    session[SESSION_KEY] = login
    if session.session_key is None:
        session.save()
    cache.set(
        _index_key(login["idp"], login["name_id"]),
        {"session_key": session.session_key, "session_index": login["session_index"]},
        settings.SESSION_COOKIE_AGE,
    )


def current(session: SessionBase) -> dict[str, str] | None:
    login = session.get(SESSION_KEY)
    return login if isinstance(login, dict) else None


def forget(session: SessionBase) -> dict[str, str] | None:
    """Drop the login from `session` (its local logout); returns what it was."""
    login = session.pop(SESSION_KEY, None)
    if isinstance(login, dict):
        cache.delete(_index_key(login["idp"], login["name_id"]))
        return login
    return None


def end_by_name_id(*, idp: str, name_id: str, session_indexes: list[str]) -> bool:
    """The identity provider ends the person's session: forget the login in the
    browser session it was adopted into. True when one was found."""
    entry: Any = cache.get(_index_key(idp, name_id))
    if not isinstance(entry, dict):
        return False
    if session_indexes and entry.get("session_index") not in session_indexes:
        return False
    cache.delete(_index_key(idp, name_id))
    store = import_module(settings.SESSION_ENGINE).SessionStore(entry["session_key"])
    if store.exists(entry["session_key"]) and SESSION_KEY in store:
        del store[SESSION_KEY]
        store.save()
    return True


def logout_after_end(request, login: dict[str, str] | None, *, next_path: str) -> str | None:
    """identity.saml.logout.after_local_end, imported only when there is a login
    (pysaml2 is loaded only where SAML is used)."""
    if login is None:
        return None
    from identity.saml.logout import after_local_end

    return after_local_end(request, login, next_path=next_path)
