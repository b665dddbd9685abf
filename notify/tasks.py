"""Celery tasks: thin, they take ids and call actions; they own the retries."""

from __future__ import annotations

from celery import shared_task

# Retries of a text message: 15, 30, 60, 120 s (then given up: later is too late).
SMS_MAX_RETRIES = 4
SMS_FIRST_RETRY_SECONDS = 15


def retry_delay(retries: int) -> int:
    return min(SMS_FIRST_RETRY_SECONDS * 2**retries, 600)


@shared_task(bind=True, max_retries=None, acks_late=True)
def send_sms(self, notice_id: int) -> str:
    """Send one text message, exactly once; retry with backoff while the gateway
    fails. Attempts are counted on the notice, so a task the sweep queued again
    does not start over; a duplicate finds the notice claimed or done."""
    from notify import actions

    try:
        return actions.deliver_notice(notice_id=notice_id, max_attempts=SMS_MAX_RETRIES + 1)
    except actions.RetrySms as exc:
        if self.request.is_eager:
            # The embedded setup has no broker to hold a delayed retry: try again now.
            return send_sms.apply(args=(notice_id,)).get()
        raise self.retry(countdown=retry_delay(exc.attempts - 1)) from None


@shared_task
def notify_after_disconnect() -> int:
    """The second text message, and lost ones re-queued (beat, every ~30 s)."""
    from notify import sweeps

    return sweeps.notify_after_disconnect()
