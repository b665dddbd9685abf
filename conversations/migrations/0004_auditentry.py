# The audit log moves from `staff` into the core (issue 8): the model's state
# moves here while the table and its rows stay; the table is then renamed to
# this app's name and the content type (with its permissions) follows.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    _relabel_content_type(apps, schema_editor, "staff", "conversations")


def move_content_type_back(apps, schema_editor):
    _relabel_content_type(apps, schema_editor, "conversations", "staff")


def _relabel_content_type(apps, schema_editor, old_app, new_app):
    """Keep the content type's id, so that permissions granted on the audit log
    and admin history entries stay attached to it."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    types = ContentType.objects.using(schema_editor.connection.alias)
    if types.filter(app_label=new_app, model="auditentry").exists():
        return
    types.filter(app_label=old_app, model="auditentry").update(app_label=new_app)


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('conversations', '0003_internalnote'),
        ('staff', '0002_closereasonoption_user_is_supervisor_and_more'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='AuditEntry',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('action', models.CharField(choices=[('open_conversation', 'opened a conversation'), ('view_in_admin', 'viewed a conversation in administration'), ('reveal_identity', 'revealed identity details'), ('download_attachment', 'downloaded an attachment'), ('view_transcript', 'viewed a transcript'), ('export_audit', 'exported the audit log')], max_length=30, verbose_name='action')),
                        ('conversation_id', models.PositiveBigIntegerField(blank=True, db_index=True, null=True, verbose_name='conversation')),
                        ('detail', models.CharField(blank=True, max_length=200, verbose_name='detail')),
                        ('address', models.GenericIPAddressField(blank=True, null=True, verbose_name='address')),
                        ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name='time')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='user')),
                    ],
                    options={
                        'verbose_name': 'audit entry',
                        'verbose_name_plural': 'audit log',
                        'ordering': ['-created_at', '-id'],
                        'db_table': 'staff_auditentry',
                    },
                ),
            ],
            # The table exists already (created by staff.0002): nothing to do.
            database_operations=[],
        ),
        # Renames staff_auditentry to conversations_auditentry; rows are kept.
        migrations.AlterModelTable(name='auditentry', table=None),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
