"""The dashboard and supervisor pages (the admin and the audit log: test_admin.py)."""

import json
import re
from datetime import timedelta
from html import unescape

import pytest
from django.utils import timezone

from conversations import actions
from conversations.models import Conversation
from staff.models import CannedReply, Presence, StaffConnection
from staff.selectors import staff_socket_state, supervisor_figures
from tests.factories import ConversationFactory, ServiceFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(client, professional):
    client.force_login(professional, backend="django.contrib.auth.backends.ModelBackend")
    return client


def page_data(response) -> tuple[dict, str]:
    """The dashboard's JSON config, decoded, and the rest of the page as text (HTML
    entities decoded): what a search for a name must look at. A plain search of
    the bytes misses names that json_script escapes ("\\u00e4" for "ä")."""
    html = response.content.decode()
    script = re.search(
        r'<script id="dashboard-config" type="application/json">(.*?)</script>', html, re.S
    )
    assert script, "the page carries its config"
    return json.loads(script.group(1)), unescape(html.replace(script.group(0), ""))


def strings_in(value) -> list[str]:
    """Every key and string value of decoded JSON."""
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [str(k), *strings_in(v)]]
    if isinstance(value, list):
        return [s for item in value for s in strings_in(item)]
    return [value] if isinstance(value, str) else []


def test_dashboard_shows_my_services_replies_and_no_other_data(logged_in, professional, service):
    other = ServiceFactory()
    CannedReply.objects.create(
        service=service, language="sv", shortcut="hej", title="Hej", body="Hej!"
    )
    CannedReply.objects.create(
        service=other,
        language="sv",
        shortcut="annans-svar-x9",
        title="Annans svar",
        body="Inte mitt",
    )
    ConversationFactory(
        service=other,
        resident_name="Åsa Ännu-Annan",
        resident_phone="+358409998877",
        matter="Ärende i en annan tjänst",
    )
    response = logged_in.get("/staff/")
    assert response.status_code == 200
    config, text = page_data(response)
    assert config["my_services"] == [service.pk]
    assert [r["shortcut"] for r in config["canned_replies"]] == ["hej"]
    assert "Hej!" in strings_in(config)  # the search does see what the page carries
    secrets = [
        "Åsa Ännu-Annan",
        "+358409998877",
        "Ärende i en annan tjänst",
        "Inte mitt",
        "annans-svar-x9",
    ]
    for secret in secrets:
        assert not [s for s in strings_in(config) if secret in s], secret
        assert secret not in text, secret


def test_non_staff_cannot_open_the_dashboard(client):
    user = UserFactory(is_staff=False)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/staff/").status_code == 302


@pytest.mark.parametrize("waiting", [10, 500])
def test_dashboard_and_its_socket_state_use_constant_queries(
    logged_in, professional, service, django_assert_num_queries, waiting
):
    Conversation.objects.bulk_create(
        Conversation(
            service=service, resident_name=f"R{i}", resident_phone="+358401234567", matter="m"
        )
        for i in range(waiting)
    )
    with django_assert_num_queries(11):
        assert logged_in.get("/staff/").status_code == 200
    with django_assert_num_queries(3):
        state = staff_socket_state(user=professional)
    assert len(state["queue"]) == waiting


def test_supervisor_figures_from_fixture_data(service, professional, django_assert_num_queries):
    supervisor = UserFactory(is_supervisor=True)
    service.professionals.add(supervisor)
    # Midday today, so that every fixture time falls on the same local day.
    now = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
    # Two claimed (waits 4 and 6 min), one of them closed after 10 min; one abandoned; two waiting.
    a = ConversationFactory(service=service, created_at=now - timedelta(minutes=30))
    b = ConversationFactory(service=service, created_at=now - timedelta(minutes=20))
    c = ConversationFactory(service=service, created_at=now - timedelta(minutes=15))
    ConversationFactory(service=service, created_at=now - timedelta(minutes=12))
    ConversationFactory(service=service, created_at=now - timedelta(minutes=3))
    Conversation.objects.filter(pk=a.pk).update(
        status="closed",
        assigned_to=professional,
        claimed_at=now - timedelta(minutes=26),
        closed_at=now - timedelta(minutes=16),
        close_reason="guidance-given",
    )
    Conversation.objects.filter(pk=b.pk).update(
        status="active", assigned_to=professional, claimed_at=now - timedelta(minutes=14)
    )
    actions.mark_resident_left(conversation_id=c.pk)
    StaffConnection.objects.create(user=professional, channel_name="x", last_seen=now)
    professional.presence = Presence.AVAILABLE
    professional.save()
    ConversationFactory(service=ServiceFactory())  # another service: not counted

    professional.languages = ["fi"]
    professional.save()
    with django_assert_num_queries(7):
        figures = supervisor_figures(user=supervisor, now=now)
    (row,) = figures["services"]
    assert (row["waiting"], row["active"], row["available"]) == (2, 1, 1)
    assert row["longest_wait_seconds"] == 12 * 60
    today = figures["today"]
    assert (today["started"], today["closed"], today["abandoned"]) == (5, 2, 1)
    assert today["average_wait_seconds"] == 5 * 60  # (4 + 6) / 2 minutes
    assert today["average_handling_seconds"] == 10 * 60
    # Per language: the waiting residents (the factory's language) and who speaks it.
    counts = {(r["language"], r["waiting"], r["available"]) for r in figures["languages"]}
    waiting_language = Conversation.objects.filter(status="waiting", service=service)[0].language
    assert counts == {
        (code, 2 if code == waiting_language else 0, 1 if code == "fi" else 0)
        for code in ("sv", "fi", "en")
    }


def test_supervisor_view_is_for_supervisors(client, professional):
    client.force_login(professional, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/staff/supervisor/").status_code == 403
    professional.is_supervisor = True
    professional.save()
    assert client.get("/staff/supervisor/").status_code == 200
    assert "today" in client.get("/staff/supervisor/figures/").json()
