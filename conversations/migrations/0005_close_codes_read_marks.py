# Issue 8: the system's close codes apart from the professionals' admin-managed
# reasons; "created" (a resident starting a conversation) apart from "open" (a
# professional viewing one); the served languages from settings.LANGUAGES.
# Issue 9: each party's highest shown seq, so "delivered" survives a reload.

import conversations.limits
from django.db import migrations, models

SYSTEM_CODES = ("abandoned", "service_closed", "timed_out")


def split_close_codes(apps, schema_editor):
    Conversation = apps.get_model("conversations", "Conversation")
    rows = Conversation.objects.using(schema_editor.connection.alias)
    for code in SYSTEM_CODES:
        rows.filter(closed_by="system", close_reason=code).update(
            system_close_code=code if code != "timed_out" else "abandoned", close_reason=""
        )
    # The timeline is append-only for the application; renaming a kind is a
    # schema change, done here with the plain manager of the historical model.
    Event = apps.get_model("conversations", "ConversationEvent")
    Event._base_manager.using(schema_editor.connection.alias).filter(kind="opened").update(
        kind="created"
    )


def join_close_codes(apps, schema_editor):
    Conversation = apps.get_model("conversations", "Conversation")
    rows = Conversation.objects.using(schema_editor.connection.alias)
    for code in ("abandoned", "service_closed"):
        rows.filter(system_close_code=code).update(close_reason=code)
    Event = apps.get_model("conversations", "ConversationEvent")
    Event._base_manager.using(schema_editor.connection.alias).filter(kind="created").update(
        kind="opened"
    )


class Migration(migrations.Migration):
    dependencies = [("conversations", "0004_auditentry")]

    operations = [
        migrations.AddField(
            model_name="conversation",
            name="resident_seen_seq",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="conversation",
            name="staff_seen_seq",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="conversation",
            name="system_close_code",
            field=models.CharField(
                blank=True,
                choices=[
                    ("abandoned", "resident left before being served"),
                    ("service_closed", "service closed"),
                ],
                max_length=20,
                verbose_name="closed by the system because",
            ),
        ),
        migrations.AlterField(
            model_name="conversation",
            name="close_reason",
            field=models.CharField(
                blank=True,
                help_text="The professional's reason: the code of an admin-managed close reason.",
                max_length=40,
                verbose_name="close reason",
            ),
        ),
        migrations.AlterField(
            model_name="conversation",
            name="language",
            field=models.CharField(
                choices=conversations.limits.language_choices,
                default="sv",
                max_length=2,
                verbose_name="language",
            ),
        ),
        migrations.RunPython(split_close_codes, join_close_codes),
    ]
