"""Erase one resident's data (docs/deployment.md, "Data protection")."""

from django.core.management.base import BaseCommand, CommandError

from conversations.models import Conversation
from privacy import actions
from privacy.management.commands import _resident


class Command(BaseCommand):
    help = (
        "Erase one resident's conversations (messages, notes, timeline, identity); "
        "written to the audit log. Without --yes only says what would be erased."
    )

    def add_arguments(self, parser):
        _resident.add_arguments(parser)
        parser.add_argument("--yes", action="store_true", help="really erase")

    def handle(self, *args, **options):
        operator, ids = _resident.resolve(options)
        if not options["yes"]:
            self.stdout.write(f"would erase conversation(s) {ids}; run again with --yes")
            return
        try:
            count = actions.erase_resident_data(
                user=operator, conversation_ids=ids, reason=options["reason"]
            )
        except (Conversation.DoesNotExist, actions.ErasureRefused) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"erased {count} conversation(s): {ids}")
