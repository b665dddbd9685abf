"""Re-encrypt stored identity codes with the newest key (docs/identity.md)."""

from django.core.management.base import BaseCommand

from identity.actions import reencrypt_identity_codes


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored personal identity code with the first key of "
        "IDENTITY_HETU_KEYS and recompute its keyed hash with IDENTITY_HETU_HMAC_KEY."
    )

    def handle(self, *args, **options):
        count = reencrypt_identity_codes()
        self.stdout.write(f"re-encrypted {count} identity code(s)")
