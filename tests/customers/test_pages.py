"""The resident's pages through the Django test client."""

import pytest
from django.core.cache import cache

from conversations import actions
from conversations.models import Conversation, ConversationEvent
from conversations.selectors import SESSION_KEY
from customers.models import ChatbotTopic
from identity import hetu
from tests.customers import dom
from tests.factories import ConversationFactory, ServiceFactory

pytestmark = pytest.mark.django_db
VALID = {"name": "Testi Asukas", "phone": "040 123 4567", "matter": "Fråga om vaccin"}


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


def intake_url(service):
    return f"/widget/services/{service.slug}/"


def test_front_page_loads_the_widget_under_a_strict_csp(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"customers/widget.js" in response.content
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert b"<script>" not in response.content  # no inline script


def test_widget_pages_may_be_framed_by_this_origin_only(client):
    response = client.get("/widget/")
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    assert "X-Frame-Options" not in response


def test_menu_shows_topics_nested_and_the_chat_entry(client):
    parent = ChatbotTopic.objects.create(
        question_sv="Öppettider?",
        question_fi="Aukiolo?",
        question_en="Hours?",
        answer_sv="Varje dag",
    )
    ChatbotTopic.objects.create(
        parent=parent,
        question_sv="Helger?",
        question_fi="Pyhät?",
        question_en="Holidays?",
        answer_sv="Stängt",
    )
    ChatbotTopic.objects.create(
        question_sv="Dold", question_fi="Piilo", question_en="Hidden", is_active=False
    )
    html = client.get("/widget/").content.decode()
    assert "Öppettider?" in html and "Helger?" in html and "Dold" not in html
    assert "/widget/services/" in html
    assert "Aukiolo?" in client.get("/fi/widget/").content.decode()


def test_topics_nest_one_level_only():
    from django.core.exceptions import ValidationError

    top = ChatbotTopic.objects.create(question_sv="a", question_fi="a", question_en="a")
    child = ChatbotTopic.objects.create(
        parent=top, question_sv="b", question_fi="b", question_en="b"
    )
    grandchild = ChatbotTopic(parent=child, question_sv="c", question_fi="c", question_en="c")
    with pytest.raises(ValidationError):
        grandchild.full_clean()


def test_service_list_shows_open_and_closed_services(client, django_assert_max_num_queries):
    open_service = ServiceFactory(name_sv="Öppen tjänst")
    closed = ServiceFactory(
        name_sv="Stängd tjänst", always_open=False, closed_info_sv="Ring 06 123"
    )
    ConversationFactory.create_batch(2, service=open_service)
    with django_assert_max_num_queries(8):
        html = client.get("/widget/services/").content.decode()
    assert f"/widget/services/{open_service.slug}/" in html
    assert f"/widget/services/{closed.slug}/" not in html  # a closed service cannot be chosen
    assert "Ring 06 123" in html
    assert "2 personer i kön" in html


def test_service_list_query_count_does_not_grow_with_services(client, django_assert_num_queries):
    ServiceFactory.create_batch(2)
    with django_assert_num_queries(5) as small:
        client.get("/widget/services/")
    ServiceFactory.create_batch(10)
    with django_assert_num_queries(len(small.captured_queries)):
        client.get("/widget/services/")


def test_closed_service_intake_says_where_to_turn(client):
    closed = ServiceFactory(always_open=False, closed_info_sv="Ring familjecentret")
    response = client.get(intake_url(closed))
    assert "Ring familjecentret" in response.content.decode()
    assert client.post(intake_url(closed), VALID).status_code == 200
    assert not Conversation.objects.exists()


def test_intake_shows_the_seed_warnings_in_the_residents_language(client, service):
    html = client.get(intake_url(service)).content.decode()
    assert "personbeteckning" in html
    html_fi = client.get(f"/fi{intake_url(service)}").content.decode()
    assert "henkilötunnus" in html_fi


def test_intake_opens_a_conversation_owned_by_the_session(client, service):
    response = client.post(intake_url(service), VALID)
    assert response.status_code == 302 and response["Location"] == "/widget/chat/"
    conversation = Conversation.objects.get()
    assert conversation.resident_phone == "+358401234567"  # normalised
    assert conversation.language == "sv"
    assert client.session[SESSION_KEY] == conversation.pk
    page = client.get("/widget/chat/")
    assert page.status_code == 200 and b"chat-config" in page.content


def test_intake_in_finnish_records_the_language(client, service):
    client.post(f"/fi{intake_url(service)}", VALID)
    assert Conversation.objects.get().language == "fi"


@pytest.mark.parametrize("phone", ["+46 70 123 45 67", "0401234567", "+358 9 310 1691"])
def test_international_and_finnish_numbers_are_accepted(client, service, phone):
    assert client.post(intake_url(service), {**VALID, "phone": phone}).status_code == 302


@pytest.mark.parametrize("phone", ["123", "abc", "+358 12", "040 123 4567 8901 2345"])
def test_invalid_phone_numbers_are_refused_and_nothing_is_lost(client, service, phone):
    response = client.post(intake_url(service), {**VALID, "phone": phone})
    assert response.status_code == 400
    html = response.content.decode()
    assert "telefonnummer" in html.lower()
    assert VALID["matter"] in html  # what the resident typed is kept
    assert not Conversation.objects.exists()


@pytest.mark.parametrize(("field", "length"), [("name", 101), ("matter", 501)])
def test_overlong_input_is_refused(client, service, field, length):
    response = client.post(intake_url(service), {**VALID, field: "x" * length})
    assert response.status_code == 400
    assert not Conversation.objects.exists()


def test_missing_fields_are_refused_with_every_error_shown(client, service):
    """An empty submit: a summary of every error at the top (GOV.UK pattern) and each
    field's own error next to it, tied to the field for screen readers."""
    response = client.post(intake_url(service), {})
    assert response.status_code == 400
    page = dom.parse(response.content)
    summary = page.by_id("error-summary")
    assert summary.attrs["role"] == "alert"
    assert "data-focus-on-load" in summary.attrs and summary.attrs["tabindex"] == "-1"
    assert summary.links() == ["#id_name", "#id_phone", "#id_matter"]
    assert all("Detta fält måste fyllas i" in a.text() for a in summary.find_all("a"))
    for name in ("name", "phone", "matter"):
        field = page.by_id(f"id_{name}")
        assert field.attrs["aria-invalid"] == "true"
        assert f"{name}-errors" in field.attrs["aria-describedby"].split()
        errors = page.by_id(f"{name}-errors")
        assert "Detta fält måste fyllas i" in errors.text() and not errors.hidden
        assert errors.parent is field.parent  # next to its field


def test_a_valid_form_has_no_error_summary(client, service):
    page = dom.parse(client.get(intake_url(service)).content)
    assert page.find_all(id="error-summary") == []
    assert "aria-invalid" not in page.by_id("id_name").attrs


def test_identity_codes_are_masked_in_intake_fields(client, service):
    client.post(intake_url(service), {**VALID, "matter": "Min kod är 010280-952L, hjälp"})
    conversation = Conversation.objects.get()
    assert "010280" not in conversation.matter and hetu.MASK in conversation.matter
    event = ConversationEvent.objects.get(conversation=conversation, kind="identity_code_masked")
    assert event.payload == {"count": 1, "where": "intake"}  # only that it happened


def test_intake_is_rate_limited_per_address(client, settings):
    settings.INTAKE_RATE_LIMIT = 2
    services = ServiceFactory.create_batch(3)
    for service in services[:2]:
        client.session.flush()
        assert client.post(intake_url(service), VALID).status_code == 302
        client.post("/widget/end/")
    response = client.post(intake_url(services[2]), VALID)
    assert response.status_code == 429
    assert Conversation.objects.count() == 2
    assert VALID["matter"] in response.content.decode()


def test_one_conversation_per_session(client, service):
    client.post(intake_url(service), VALID)
    response = client.get(intake_url(service))
    assert response.status_code == 302 and response["Location"] == "/widget/chat/"
    client.post(intake_url(service), VALID)
    assert Conversation.objects.count() == 1


def test_end_and_clear_marks_left_ends_the_session_and_clears_the_browser(client, service):
    client.post(intake_url(service), VALID)
    conversation = Conversation.objects.get()
    confirm = client.get("/widget/end/")
    assert confirm.status_code == 200 and b'method="post"' in confirm.content
    response = client.post("/widget/end/")
    assert response.status_code == 302 and response["Location"] == "/widget/ended/"
    assert "storage" in response["Clear-Site-Data"]
    conversation.refresh_from_db()
    assert conversation.resident_left_at is not None
    assert conversation.status == "closed"  # nobody had taken it: abandoned
    assert SESSION_KEY not in client.session
    assert client.get("/widget/chat/")["Location"] == "/widget/"
    ended = dom.parse(client.get("/widget/ended/").content)
    [body] = ended.find_all("body")
    assert "data-clear-storage" in body.attrs  # panel.js clears the browser's storage
    assert "Töm webbläsarens cache och historik." in ended.text()
    assert "Återvänd till din chatt" not in client.get("/widget/").content.decode()


def test_end_and_clear_of_an_active_conversation_leaves_it_for_the_professional(
    client, service, professional
):
    client.post(intake_url(service), VALID)
    conversation = Conversation.objects.get()
    actions.claim_conversation(conversation_id=conversation.pk, professional=professional)
    client.post("/widget/end/")
    conversation.refresh_from_db()
    assert conversation.status == "active" and conversation.resident_left_at is not None


def test_language_switch_keeps_the_conversation(client, service):
    client.post(intake_url(service), VALID)
    page = client.get("/fi/widget/chat/")
    assert page.status_code == 200
    assert 'lang="fi"' in page.content.decode()
    assert 'href="/en/widget/chat/"' in page.content.decode()


def test_closed_conversation_shows_that_it_ended(client, service, professional):
    client.post(intake_url(service), VALID)
    conversation = Conversation.objects.get()
    actions.claim_conversation(conversation_id=conversation.pk, professional=professional)
    actions.close_by_professional(
        conversation_id=conversation.pk, reason="resolved", professional=professional
    )
    page = dom.parse(client.get("/en/widget/chat/").content)
    # The notice and the after-chat area are in every chat page, hidden while the
    # conversation is open: what tells the closed state is that they are shown, the
    # professional's closing words with them, and the composer is gone.
    ended = page.by_id("ended")
    assert not ended.hidden
    assert "The conversation has ended" in ended.text()
    assert "The professional ended the conversation" in page.by_id("ended-by-professional").text()
    assert not page.by_id("after-chat").hidden
    assert page.by_id("composer").hidden
    assert page.by_id("status-active").hidden


def test_active_conversation_shows_no_ending(client, service, professional):
    """The counterpart of the closed page: the same elements in the active state."""
    client.post(intake_url(service), VALID)
    conversation = Conversation.objects.get()
    actions.claim_conversation(conversation_id=conversation.pk, professional=professional)
    page = dom.parse(client.get("/en/widget/chat/").content)
    assert page.by_id("ended").hidden and page.by_id("after-chat").hidden
    assert not page.by_id("composer").hidden
    assert not page.by_id("status-active").hidden
