"""Celery tasks: thin, they take ids and call actions; they own the retries."""

from __future__ import annotations

import smtplib

from celery import shared_task

# Retries of a transcript e-mail: 30 s, 1, 2, 4, 8 min (then given up).
TRANSCRIPT_MAX_RETRIES = 5
TRANSCRIPT_FIRST_RETRY_SECONDS = 30


def retry_delay(retries: int) -> int:
    return min(TRANSCRIPT_FIRST_RETRY_SECONDS * 2**retries, 3600)


@shared_task(bind=True, max_retries=TRANSCRIPT_MAX_RETRIES, acks_late=True)
def send_transcript(self, request_id: int) -> str:
    """E-mail one transcript request; retry with backoff while SMTP fails."""
    from closing import actions

    try:
        return "sent" if actions.deliver_transcript(request_id=request_id) else "nothing"
    except (smtplib.SMTPException, OSError) as exc:
        retries = self.request.retries or 0
        if retries >= self.max_retries:
            actions.give_up_transcript(request_id=request_id)
            return "failed"
        if self.request.is_eager:
            # The embedded setup has no broker to hold a delayed retry: try again now.
            return send_transcript.apply(args=(request_id,), retries=retries + 1).get()
        raise self.retry(exc=exc, countdown=retry_delay(retries)) from None


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
