"""Demo data for development: services with opening hours, chatbot topics, a
professional per service and an administrator. Idempotent; refuses to run in
production (it sets known passwords)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from conversations.demo import seed_services
from customers.demo import seed_topics
from staff.demo import seed_staff


class Command(BaseCommand):
    help = "Create demo services, chatbot topics, professionals and an administrator."

    def handle(self, *args, **options):
        if settings.ENVIRONMENT == "production":
            raise CommandError("seed_demo creates known passwords; it does not run in production.")
        with transaction.atomic():
            services = seed_services()
            topics = seed_topics()
            accounts = seed_staff(services)
        self.stdout.write(f"Demo data ready: {len(services)} services, {topics} chatbot topics.")
        self.stdout.write("Development accounts (role, e-mail, password, TOTP secret):")
        for line in accounts:
            self.stdout.write(f"  {line}")
        self.stdout.write(
            "Log in at /accounts/login/; for the code, add the secret to an authenticator app "
            "or run: .venv/bin/python manage.py totp_code anna@example.org"
        )
