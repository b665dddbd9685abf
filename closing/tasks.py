"""Celery tasks: thin, they take ids and call actions; they own the retries."""

from __future__ import annotations

from celery import shared_task

# Retries of a transcript e-mail: 30 s, 1, 2, 4, 8 min (then given up).
TRANSCRIPT_MAX_RETRIES = 5
TRANSCRIPT_FIRST_RETRY_SECONDS = 30


def retry_delay(retries: int) -> int:
    return min(TRANSCRIPT_FIRST_RETRY_SECONDS * 2**retries, 3600)


@shared_task(bind=True, max_retries=None, acks_late=True)
def send_transcript(self, request_id: int) -> str:
    """E-mail one transcript request, exactly once; retry with backoff while SMTP
    fails. The attempts are counted on the request (not per task), so a task the
    sweep queued again does not start the count over; a duplicate task (the
    sweep's, or a redelivery) finds the request claimed or done and does nothing."""
    from closing import actions

    try:
        return actions.deliver_transcript(
            request_id=request_id, max_attempts=TRANSCRIPT_MAX_RETRIES + 1
        )
    except actions.RetryTranscript as exc:
        if self.request.is_eager:
            # The embedded setup has no broker to hold a delayed retry: try again now.
            return send_transcript.apply(args=(request_id,)).get()
        raise self.retry(countdown=retry_delay(exc.attempts - 1)) from None


@shared_task
def requeue_transcripts() -> int:
    """Hand unsent transcript requests to the broker again (scheduled in the
    database every minute, closing/migrations/0003_transcript_claim.py)."""
    from closing import sweeps

    return sweeps.requeue_transcripts()


@shared_task
def purge_expired_conversations() -> int:
    """The retention purge (scheduled in the database, django-celery-beat)."""
    from closing import retention

    return retention.purge_expired().purged


@shared_task
def flag_idle_conversations() -> int:
    """Active conversations idle for long are flagged to their professional."""
    from closing import sweeps

    return sweeps.flag_idle_conversations()
