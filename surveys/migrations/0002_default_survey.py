"""A global survey out of the box (administrators can change or replace it)."""

from django.db import migrations

DEFAULT = {
    "intro_sv": "Tack för att du chattade med oss. Svaren är anonyma och hjälper oss att bli bättre.",
    "intro_fi": "Kiitos, että keskustelit kanssamme. Vastaukset ovat nimettömiä ja auttavat meitä kehittymään.",
    "intro_en": "Thank you for chatting with us. The answers are anonymous and help us improve.",
    "satisfaction_question_sv": "Hur nöjd är du med chatten?",
    "satisfaction_question_fi": "Kuinka tyytyväinen olet keskusteluun?",
    "satisfaction_question_en": "How satisfied are you with the chat?",
    "help_question_sv": "Fick du den hjälp du behövde?",
    "help_question_fi": "Saitko tarvitsemasi avun?",
    "help_question_en": "Did you get the help you needed?",
    "comment_question_sv": "Vill du berätta något mer? (frivilligt)",
    "comment_question_fi": "Haluatko kertoa jotain muuta? (vapaaehtoinen)",
    "comment_question_en": "Anything else you would like to tell us? (optional)",
}


def create_default(apps, schema_editor):
    Survey = apps.get_model("surveys", "Survey")
    if not Survey.objects.filter(service__isnull=True, is_active=True).exists():
        Survey.objects.create(service=None, is_active=True, ask_comment=True, **DEFAULT)


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_initial")]

    operations = [migrations.RunPython(create_default, migrations.RunPython.noop)]
