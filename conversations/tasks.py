"""Periodic housekeeping for Celery beat (CELERY_BEAT_SCHEDULE). Tasks are thin:
the sweeps (conversations.sweeps) find ids and call actions; without a beat the
ASGI process runs the same sweeps (chatservice/background.py)."""

from celery import shared_task


@shared_task
def close_waiting_in_closed_services() -> int:
    """Residents still queueing a while after their service closed are told that it
    closed, instead of waiting for nobody. Returns how many were closed."""
    from conversations import sweeps

    return sweeps.close_waiting_in_closed_services()


@shared_task
def expire_resident_connections() -> int:
    """Resident connection rows of dead server processes expire; returns how many
    residents that disconnected."""
    from conversations import sweeps

    return sweeps.expire_resident_connections()


@shared_task
def abandon_ghost_residents() -> int:
    """Waiting residents gone past the grace period leave the queue as abandoned."""
    from conversations import sweeps

    return sweeps.abandon_ghost_residents()
