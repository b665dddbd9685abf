"""Periodic housekeeping for Celery beat (CELERY_BEAT_SCHEDULE). Thin: the action
does the work."""

from celery import shared_task


@shared_task
def expire_identification_requests() -> int:
    """Pending identification requests past their time expire (the professional
    sees it). Returns how many expired."""
    from identity.actions import expire_identification_requests as expire

    return expire()
