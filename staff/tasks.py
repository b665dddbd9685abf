"""Periodic housekeeping of the professional's side for Celery beat."""

from celery import shared_task


@shared_task
def expire_staff_connections() -> int:
    """Staff connection rows of dead server processes expire; professionals left
    without a live socket become away. Returns how many became away."""
    from staff import actions

    return actions.expire_staff_connections()
