"""The retention purge by hand: `--dry-run` lists what would go and changes nothing."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from closing import retention


class Command(BaseCommand):
    help = (
        "Delete conversations closed longer ago than their service's retention period "
        "(messages, notes, timeline, identity data, transcript requests, files); the "
        "anonymous statistics stay."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Only show what would be deleted."
        )

    def handle(self, *args, dry_run: bool = False, **options):
        summary = retention.purge_expired(now=timezone.now(), dry_run=dry_run)
        for s in summary.services:
            oldest = f"{timezone.localtime(s.oldest_closed):%Y-%m-%d}" if s.oldest_closed else "-"
            self.stdout.write(
                f"{s.service}: {s.conversations} conversation(s) closed before "
                f"{timezone.localtime(s.cutoff):%Y-%m-%d %H:%M} "
                f"(retention {s.retention_days} days; oldest closed {oldest})"
            )
        if dry_run:
            self.stdout.write(f"Dry run: {summary.due} conversation(s) would be deleted.")
        else:
            self.stdout.write(
                f"Deleted {summary.purged} conversation(s); "
                f"emptied {summary.comments_cleared} survey comment(s)."
            )
