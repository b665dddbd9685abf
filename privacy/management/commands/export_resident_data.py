"""Export one resident's data as JSON (docs/deployment.md, "Data protection")."""

import json

from django.core.management.base import BaseCommand, CommandError

from conversations.models import Conversation
from privacy import actions
from privacy.management.commands import _resident


class Command(BaseCommand):
    help = "Export one resident's conversations as JSON; written to the audit log."

    def add_arguments(self, parser):
        _resident.add_arguments(parser)
        parser.add_argument("--output", help="write to this file (default: standard output)")

    def handle(self, *args, **options):
        operator, ids = _resident.resolve(options)
        try:
            data = actions.export_resident_data(
                user=operator, conversation_ids=ids, reason=options["reason"]
            )
        except Conversation.DoesNotExist as exc:
            raise CommandError(str(exc)) from None
        text = json.dumps(data, ensure_ascii=False, indent=2)
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8") as out:
                out.write(text + "\n")
            self.stderr.write(f"exported {len(ids)} conversation(s) to {options['output']}")
        else:
            self.stdout.write(text)
