"""Deactivate the demo accounts of `seed_demo` in a database meant for production."""

from allauth.mfa.models import Authenticator
from django.core.management.base import BaseCommand
from django.db import transaction

from chatservice.checks import demo_accounts
from staff.models import User


class Command(BaseCommand):
    help = (
        "Deactivate the demo accounts (published passwords and TOTP secrets): inactive, "
        "no usable password, no authenticators. Their history stays."
    )

    def handle(self, *args, **options):
        emails = demo_accounts()
        with transaction.atomic():
            for user in User.objects.filter(email__in=emails):
                user.is_active = False
                user.set_unusable_password()
                user.save(update_fields=["is_active", "password"])
                Authenticator.objects.filter(user=user).delete()
        if emails:
            self.stdout.write(f"Deactivated: {', '.join(emails)}")
        else:
            self.stdout.write("No active demo accounts.")
