"""Container healthchecks that need Django (docker-compose.yml).

    python deploy/healthcheck.py beat   # beat is scheduling: a periodic task ran lately

(`web` is checked over HTTP at /healthz, `worker` with `celery inspect ping`.)
"""

import os
import sys
from datetime import timedelta

# Beat's sweeps run every 30-60 s; the database scheduler writes their last run
# at least every few minutes.
MAX_AGE = timedelta(seconds=int(os.environ.get("BEAT_HEALTH_MAX_AGE_SECONDS", "600")))


def beat() -> int:
    from django.db.models import Max
    from django.utils import timezone
    from django_celery_beat.models import PeriodicTask

    last = PeriodicTask.objects.filter(enabled=True).aggregate(m=Max("last_run_at"))["m"]
    if last is None or timezone.now() - last > MAX_AGE:
        print(f"beat: no periodic task ran since {last}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatservice.settings")
    import django

    django.setup()
    checks = {"beat": beat}
    sys.exit(checks[sys.argv[1]]())
