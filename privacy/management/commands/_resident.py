"""What the export and erase commands share: whose data, and who asks."""

from __future__ import annotations

import sys

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.core.management.base import CommandError, CommandParser

from privacy.selectors import conversations_of_person


def add_arguments(parser: CommandParser) -> None:
    parser.add_argument(
        "--conversation",
        type=int,
        action="append",
        default=[],
        help="a conversation id (repeatable)",
    )
    parser.add_argument(
        "--person",
        action="store_true",
        help="every conversation of an identified person: the identity code is read from "
        "standard input (never on the command line, where shell history and ps would keep it)",
    )
    parser.add_argument(
        "--operator",
        required=True,
        help="e-mail address of the administrator handling the request (the audit log's user)",
    )
    parser.add_argument(
        "--reason", default="", help="the request's case number for the audit log; no personal data"
    )


def resolve(options: dict) -> tuple[AbstractUser, list[int]]:
    User = get_user_model()
    try:
        operator = User.objects.get(email__iexact=options["operator"], is_superuser=True)
    except User.DoesNotExist:
        raise CommandError("--operator must be an administrator's e-mail address") from None
    ids = list(options["conversation"])
    if options["person"]:
        code = sys.stdin.readline()
        try:
            ids += conversations_of_person(identity_code=code)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
    if not ids:
        raise CommandError("nothing to do: give --conversation or --person")
    return operator, sorted(set(ids))
