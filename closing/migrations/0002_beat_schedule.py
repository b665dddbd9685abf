"""The retention purge's schedule, in the database (django-celery-beat's
DatabaseScheduler): nightly at 03:15 Helsinki time. Administrators can move it
in the admin ("Periodic tasks"); the purge itself is idempotent."""

from django.db import migrations

PURGE = "closing.tasks.purge_expired_conversations"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="15",
        hour="3",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="Europe/Helsinki",
    )
    PeriodicTask.objects.get_or_create(
        name="retention: purge expired conversations",
        defaults={"task": PURGE, "crontab": crontab, "enabled": True},
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=PURGE).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("closing", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
