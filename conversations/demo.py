"""Demo services for development (`manage.py seed_demo`)."""

from datetime import time
from typing import Any

from conversations.models import OpeningHours, Service

ALL_DAY = (time(0, 0), time(23, 59, 59))
OFFICE = (time(8, 0), time(16, 0))

SERVICES: list[dict[str, Any]] = [
    {
        "slug": "health-advice",
        "ordering": 1,
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
        "ordering": 2,
        "name_sv": "Socialservice för vuxna",
        "name_fi": "Aikuisten sosiaalipalvelut",
        "name_en": "Social services for adults",
        "description_sv": "Handledning i frågor om utkomst, boende och vardag.",
        "description_fi": "Ohjausta toimeentuloon, asumiseen ja arkeen liittyvissä asioissa.",
        "description_en": "Guidance on income, housing and everyday life.",
        # Low, so that the demo's first waiting resident is offered a call-back.
        "callback_after_minutes": 2,
        "hours": {day: [ALL_DAY] for day in range(7)},
    },
    {
        "slug": "family-centre",
        "ordering": 3,
        "name_sv": "Familjecentret",
        "name_fi": "Perhekeskus",
        "name_en": "Family centre",
        "description_sv": "Stöd för barnfamiljer.",
        "description_fi": "Tukea lapsiperheille.",
        "description_en": "Support for families with children.",
        "closed_info_sv": "Ring familjecentrets rådgivning vardagar 8–16, tfn 06 218 0000.",
        "closed_info_fi": "Soita perhekeskuksen neuvontaan arkisin 8–16, puh. 06 218 0000.",
        "closed_info_en": "Call the family centre's advice line on weekdays 8–16, tel. 06 218 0000.",
        # Closed in the evenings and at weekends: residents may leave a contact request.
        "contact_requests": True,
        # Bilingual staff: a conversation waits for a professional who speaks its
        # language for five minutes, then anyone may take it.
        "language_strict": True,
        "language_fallback_minutes": 5,
        "hours": {day: [OFFICE] for day in range(5)},
    },
]


def seed_services() -> dict[str, Service]:
    services = {}
    for spec in SERVICES:
        fields = {k: v for k, v in spec.items() if k not in ("slug", "hours")}
        service, created = Service.objects.update_or_create(slug=spec["slug"], defaults=fields)
        if created or not service.opening_hours.exists():
            OpeningHours.objects.bulk_create(
                OpeningHours(service=service, weekday=day, opens=opens, closes=closes)
                for day, slots in spec["hours"].items()
                for opens, closes in slots
            )
        services[service.slug] = service
    return services
