"""Outages of the database and the channel layer, logged once each.

During an outage every socket, request and timer hits the same failure; a
traceback each would bury the log (the fault drills counted 60 in 20 seconds).
Instead the first failure logs one warning, later ones are counted, and the
first success after it logs one line with the outage's duration.
"""

from __future__ import annotations

import logging
import threading
import time

from django.db import InterfaceError, OperationalError

logger = logging.getLogger(__name__)


class Outage:
    """One external dependency's state in this process: up, or down since when."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._since: float | None = None
        self._failures = 0

    @property
    def down(self) -> bool:
        return self._since is not None

    def failed(self, exc: BaseException | None = None) -> None:
        with self._lock:
            self._failures += 1
            if self._since is not None:
                return
            self._since = time.monotonic()
        logger.warning(
            "%s unavailable (%s); sockets stay open, new ones are asked to retry",
            self.name,
            type(exc).__name__ if exc is not None else "no answer",
        )

    def recovered(self) -> None:
        with self._lock:
            if self._since is None:
                return
            seconds, failures = time.monotonic() - self._since, self._failures
            self._since, self._failures = None, 0
        logger.warning(
            "%s available again after %.1f s (%d failed attempts)", self.name, seconds, failures
        )


database = Outage("database")
channel_layer = Outage("channel layer")


def _redis_errors() -> tuple[type[BaseException], ...]:
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:  # pragma: no cover - redis is a dependency
        return ()
    return (RedisConnectionError, RedisTimeoutError)


def database_error(exc: BaseException) -> bool:
    """The database could not be reached (as opposed to a bug or a bad query)."""
    return isinstance(exc, OperationalError | InterfaceError)


def layer_error(exc: BaseException) -> bool:
    """The channel layer (Redis) could not be reached."""
    return isinstance(exc, (*_redis_errors(), ConnectionError))


def note(exc: BaseException) -> bool:
    """Record `exc` as an outage of whichever dependency it belongs to; False
    when it is not an outage at all (then the caller logs it as a bug)."""
    if database_error(exc):
        database.failed(exc)
        return True
    if layer_error(exc):
        channel_layer.failed(exc)
        return True
    return False


class LayerReceiveFilter(logging.Filter):
    """For channels-redis's pub/sub logger: its receive task logs a traceback
    every second while Redis is unreachable. Those become the channel layer's
    outage (one warning); everything else passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and layer_error(exc):
            channel_layer.failed(exc)
            return False
        return True
