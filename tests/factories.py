from datetime import time

import factory
from allauth.mfa.totp.internal.auth import TOTP

from conversations.models import Conversation, OpeningHours, Service
from staff.models import User

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"pro{n}")
    email = factory.Sequence(lambda n: f"pro{n}@example.org")
    first_name = factory.Sequence(lambda n: f"Pro{n}")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests-1")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()

    @factory.post_generation
    def totp(obj, create, extracted, **kwargs):
        """Staff have a TOTP second factor unless `totp=False`."""
        if create and extracted is not False and obj.is_staff:
            TOTP.activate(obj, TOTP_SECRET)


class ServiceFactory(factory.django.DjangoModelFactory[Service]):
    """A service open around the clock unless hours are given."""

    class Meta:
        model = Service
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"service-{n}")
    name_sv = factory.Sequence(lambda n: f"Tjänst {n}")
    name_fi = factory.Sequence(lambda n: f"Palvelu {n}")
    name_en = factory.Sequence(lambda n: f"Service {n}")

    @factory.post_generation
    def always_open(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            OpeningHours.objects.bulk_create(
                OpeningHours(service=obj, weekday=d, opens=time(0), closes=time(23, 59, 59))
                for d in range(7)
            )


class ConversationFactory(factory.django.DjangoModelFactory[Conversation]):
    class Meta:
        model = Conversation

    service = factory.SubFactory(ServiceFactory)
    resident_name = "Testi Asukas"
    resident_phone = "+358401234567"
    matter = "A question about vaccinations"
