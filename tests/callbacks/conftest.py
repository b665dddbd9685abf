"""A service that offers call-backs at once, its professionals and a professional
of another service."""

from __future__ import annotations

import pytest

from tests.factories import ServiceFactory, UserFactory


@pytest.fixture
def callback_service(db):
    # 0 minutes: any estimated wait (at least 1 minute) exceeds it.
    service = ServiceFactory(callback_after_minutes=0)
    professional, colleague = UserFactory(), UserFactory()
    service.professionals.add(professional, colleague)
    outsider = UserFactory()
    ServiceFactory().professionals.add(outsider)
    return {
        "service": service,
        "professional": professional,
        "colleague": colleague,
        "outsider": outsider,
    }
