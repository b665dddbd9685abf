"""Demo data for development: services with opening hours, a professional per
service and an administrator. Idempotent; refuses to run in production."""

from datetime import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from conversations.models import OpeningHours, Service
from staff.models import User

ALL_DAY = (time(0, 0), time(23, 59, 59))
OFFICE = (time(8, 0), time(16, 0))

SERVICES = [
    {
        "slug": "health-advice",
        "name_sv": "Hälsorådgivning",
        "name_fi": "Terveysneuvonta",
        "name_en": "Health advice",
        "description_sv": "Rådgivning i hälsofrågor av sjukskötare.",
        "description_fi": "Sairaanhoitajan neuvontaa terveysasioissa.",
        "description_en": "Advice on health matters from a nurse.",
        "hours": {day: [ALL_DAY] for day in range(7)},
    },
    {
        "slug": "social-services",
        "name_sv": "Socialservice för vuxna",
        "name_fi": "Aikuisten sosiaalipalvelut",
        "name_en": "Social services for adults",
        "description_sv": "Handledning i frågor om utkomst, boende och vardag.",
        "description_fi": "Ohjausta toimeentuloon, asumiseen ja arkeen liittyvissä asioissa.",
        "description_en": "Guidance on income, housing and everyday life.",
        "hours": {day: [ALL_DAY] for day in range(7)},
    },
    {
        "slug": "family-centre",
        "name_sv": "Familjecentret",
        "name_fi": "Perhekeskus",
        "name_en": "Family centre",
        "description_sv": "Stöd för barnfamiljer.",
        "description_fi": "Tukea lapsiperheille.",
        "description_en": "Support for families with children.",
        "hours": {day: [OFFICE] for day in range(5)},
    },
]

STAFF = [
    ("anna@example.org", "Anna", "demo-anna-2026", ["health-advice", "family-centre"]),
    ("bertil@example.org", "Bertil", "demo-bertil-2026", ["social-services", "family-centre"]),
]
ADMIN = ("admin@example.org", "Admin", "demo-admin-2026")


class Command(BaseCommand):
    help = "Create demo services, professionals and an administrator (development only)."

    def handle(self, *args, **options):
        if settings.ENVIRONMENT == "production":
            raise CommandError("seed_demo creates known passwords; it does not run in production.")
        with transaction.atomic():
            services = {spec["slug"]: self._service(spec) for spec in SERVICES}
            for email, name, password, slugs in STAFF:
                user = self._user(email, name, password, superuser=False)
                for slug in slugs:
                    services[slug].professionals.add(user)
            self._user(*ADMIN, superuser=True)
        self.stdout.write("Demo data ready. Development passwords:")
        for email, _name, password, slugs in STAFF:
            self.stdout.write(f"  professional  {email:<22} {password}  ({', '.join(slugs)})")
        self.stdout.write(f"  administrator {ADMIN[0]:<22} {ADMIN[2]}")

    def _service(self, spec: dict) -> Service:
        fields = {k: v for k, v in spec.items() if k not in ("slug", "hours")}
        service, created = Service.objects.update_or_create(slug=spec["slug"], defaults=fields)
        if created or not service.opening_hours.exists():
            OpeningHours.objects.bulk_create(
                OpeningHours(service=service, weekday=day, opens=opens, closes=closes)
                for day, slots in spec["hours"].items()
                for opens, closes in slots
            )
        return service

    def _user(self, email: str, name: str, password: str, *, superuser: bool) -> User:
        user, _ = User.objects.get_or_create(
            email=email, defaults={"username": email.split("@")[0], "first_name": name}
        )
        user.is_staff = True
        user.is_superuser = superuser
        user.set_password(password)
        user.save()
        return user
