"""Periodic housekeeping for Celery beat (CELERY_BEAT_SCHEDULE). Thin: the action
does the work."""

from celery import shared_task


@shared_task
def expire_video_requests() -> int:
    """Video calls the resident did not answer in time expire (the professional sees it)."""
    from video.actions import expire_requests

    return expire_requests()
