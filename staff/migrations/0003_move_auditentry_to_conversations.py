# The audit log moved into the core (conversations.0004): only the model's state
# leaves this app; the table and its rows were taken over there.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('conversations', '0004_auditentry'),
        ('staff', '0002_closereasonoption_user_is_supervisor_and_more'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='AuditEntry')],
            database_operations=[],
        ),
    ]
