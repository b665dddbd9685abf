"""The admin: who may add staff users and how; labels in the admin's language;
names instead of codes; long messages that wrap."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from conversations.actions import record_audit
from conversations.models import AuditAction, AuditEntry, Message
from staff.models import CannedReply, CloseReasonOption, User
from tests.factories import ConversationFactory, UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "Lösen-för-test-2026"


@pytest.fixture
def admin_client(client):
    admin = UserFactory(is_superuser=True, email="admin@example.org")
    client.force_login(admin, backend="django.contrib.auth.backends.ModelBackend")
    client.admin = admin
    return client


def add_user(client, **fields):
    data = {
        "username": fields.pop("username", "ny"),
        "email": "",
        "usable_password": "true",
        "password1": PASSWORD,
        "password2": PASSWORD,
        # The services inline's management form.
        "Service_professionals-TOTAL_FORMS": "0",
        "Service_professionals-INITIAL_FORMS": "0",
    }
    data.update(fields)
    return client.post("/admin/staff/user/add/", data)


# --- Conversations and the audit log: read only, every view audited -----------------


def test_viewing_a_conversation_in_admin_is_audited(admin_client, conversation):
    response = admin_client.get(
        f"/admin/conversations/conversation/{conversation.pk}/change/", REMOTE_ADDR="10.1.2.3"
    )
    assert response.status_code == 200
    entry = AuditEntry.objects.get()
    assert (entry.user, entry.action, entry.conversation_id, entry.address) == (
        admin_client.admin,
        "view_in_admin",
        conversation.pk,
        "10.1.2.3",
    )


def test_audit_log_is_read_only_and_exports_csv(admin_client, conversation, professional):
    entry = AuditEntry.objects.create(
        user=professional,
        action="open_conversation",
        conversation_id=conversation.pk,
        address="10.0.0.1",
    )
    url = f"/admin/conversations/auditentry/{entry.pk}/change/"
    assert admin_client.get(url).status_code == 200  # view only
    admin_client.post(url, {"action": "view_transcript", "detail": "changed"})
    admin_client.post(f"/admin/conversations/auditentry/{entry.pk}/delete/", {"post": "yes"})
    entry.refresh_from_db()
    assert entry.action == "open_conversation" and entry.detail == ""
    entry.detail = "x"
    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()
    response = admin_client.post(
        "/admin/conversations/auditentry/", {"action": "export_csv", "_selected_action": [entry.pk]}
    )
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0] == "time,user,action,conversation,address,detail"
    assert f"{professional.email},open_conversation,{conversation.pk},10.0.0.1" in lines[1]
    assert AuditEntry.objects.filter(action="export_audit").count() == 1


def test_admin_cannot_edit_conversations(admin_client, conversation):
    url = f"/admin/conversations/conversation/{conversation.pk}/change/"
    admin_client.post(url, {"status": "closed"})
    conversation.refresh_from_db()
    assert conversation.status == "waiting"
    assert admin_client.get("/admin/conversations/conversation/add/").status_code == 403


# --- Adding staff users -------------------------------------------------------------


def test_the_add_user_form_asks_for_the_e_mail_address(admin_client):
    page = admin_client.get("/admin/staff/user/add/").content.decode()
    assert 'name="email"' in page and 'id="id_email"' in page
    response = add_user(admin_client, username="utan-epost")
    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors
    assert not User.objects.filter(username="utan-epost").exists()


def test_two_users_are_added_with_their_own_addresses(admin_client):
    for n in (1, 2):
        response = add_user(admin_client, username=f"pro-{n}", email=f"Pro.{n}@Example.org")
        assert response.status_code == 302, response.context["adminform"].form.errors
    assert list(
        User.objects.filter(username__startswith="pro-")
        .order_by("username")
        .values_list("email", flat=True)
    ) == ["pro.1@example.org", "pro.2@example.org"]


@pytest.mark.parametrize("email", ["admin@example.org", "ADMIN@example.ORG", " Admin@Example.org "])
def test_an_address_in_use_is_refused_in_any_case(admin_client, email):
    response = add_user(admin_client, username="dubblett", email=email)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"] == [
        "Det finns redan en personalanvändare med den här e-postadressen."
    ]
    assert not User.objects.filter(username="dubblett").exists()


def test_changing_an_address_to_one_in_use_is_refused(admin_client):
    user = UserFactory(email="bertil@example.org")
    page = admin_client.get(f"/admin/staff/user/{user.pk}/change/")
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        {
            "email": "Admin@Example.org",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "12:00:00",
            "groups": [],
            "user_permissions": [],
            "Service_professionals-TOTAL_FORMS": "0",
            "Service_professionals-INITIAL_FORMS": "0",
        }
    )
    data.pop("last_login", None)
    data.pop("password", None)
    response = admin_client.post(f"/admin/staff/user/{user.pk}/change/", data)
    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors
    user.refresh_from_db()
    assert user.email == "bertil@example.org"


# --- Labels in the admin's language -------------------------------------------------


class Labels(HTMLParser):
    """The texts that name things on an admin page (column heads, field labels,
    filter titles, fieldset titles), not the data."""

    TAGS = {"label", "th", "h2", "h3", "summary", "legend", "caption"}

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.in_body = 0
        self.texts: list[str] = []
        self.current: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tbody":
            self.in_body += 1
        if tag in self.TAGS and not self.in_body and self.current is None:
            self.current = []
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag == "tbody":
            self.in_body -= 1
        if self.stack and tag == self.stack[-1]:
            self.stack.pop()
            text = " ".join("".join(self.current or []).split()).rstrip(":")
            text = re.sub(r"^\d+ ", "", text)  # a sorted column's priority number
            if text:
                self.texts.append(text)
            self.current = None

    def handle_data(self, data):
        if self.current is not None:
            self.current.append(data)


def labels(client, url, language, settings):
    settings.LANGUAGE_CODE = language  # the admin is served in the default language
    response = client.get(url)
    assert response.status_code == 200, url
    parser = Labels()
    parser.feed(response.content.decode())
    return parser.texts


# Texts that are the same in all three languages on purpose.
SAME_IN_ALL = {"ID", "Svenska / Suomi / English", "TOTP"}


@pytest.fixture
def admin_pages(admin_client, service):
    conversation = ConversationFactory(service=service)
    Message.objects.create(
        conversation=conversation, seq=1, author_kind="resident", body="hej", client_id="c"
    )
    entry = record_audit(
        user=admin_client.admin, action=AuditAction.OPEN_CONVERSATION, conversation_id=1
    )
    reply = CannedReply.objects.create(language="sv", shortcut="hej", title="Hej", body="Hej!")
    reason = CloseReasonOption.objects.create(
        code="guidance-given", label_sv="Vägledning", label_fi="Ohjaus", label_en="Guidance"
    )
    authenticator = admin_client.admin.authenticator_set.get()
    objects = [conversation, service, entry, reply, reason, admin_client.admin, authenticator]
    return {type(obj)._meta.model_name: obj for obj in objects}


PAGES = [
    ("conversations", "service"),
    ("conversations", "conversation"),
    ("conversations", "auditentry"),
    ("staff", "user"),
    ("staff", "cannedreply"),
    ("staff", "closereasonoption"),
    ("mfa", "authenticator"),
]


@pytest.mark.parametrize(("app", "model"), PAGES)
def test_every_admin_label_is_translated(admin_client, admin_pages, settings, app, model):
    obj = admin_pages[model]
    urls = [f"/admin/{app}/{model}/", f"/admin/{app}/{model}/{obj.pk}/change/"]
    if model in ("user", "cannedreply", "service", "closereasonoption"):
        urls.append(f"/admin/{app}/{model}/add/")
    for url in urls:
        by_language = {
            lang: labels(admin_client, url, lang, settings) for lang in ("en", "sv", "fi")
        }
        assert len({len(texts) for texts in by_language.values()}) == 1, (url, by_language)
        untranslated = [
            en
            for en, sv, fi in zip(*by_language.values(), strict=True)
            # The change page's title is the object itself: data, not a label.
            if en == sv == fi and en not in SAME_IN_ALL and en != str(obj)
        ]
        assert not untranslated, url


# --- Names, not codes ---------------------------------------------------------------


def test_conversations_show_close_reasons_by_name(admin_client, service):
    CloseReasonOption.objects.create(
        code="guidance-given", label_sv="Vägledning given", label_fi="Ohjattu", label_en="Guided"
    )
    closed = ConversationFactory(service=service, status="closed", close_reason="guidance-given")
    ConversationFactory(service=service, status="closed", close_reason="retired-code")
    page = admin_client.get("/admin/conversations/conversation/")
    filters = {spec.title: spec for spec in page.context["cl"].filter_specs}
    reasons = filters["avslutningsorsak"]  # the filter's title in Swedish, too
    assert [title for value, title in reasons.lookup_choices] == ["Vägledning given"]
    text = page.content.decode()
    assert "Vägledning given" in text and "retired-code" in text  # an unknown code as it is
    filtered = admin_client.get("/admin/conversations/conversation/?close_reason=guidance-given")
    assert [c.pk for c in filtered.context["cl"].result_list] == [closed.pk]


def test_authenticators_are_listed_without_their_secret(admin_client):
    authenticator = admin_client.admin.authenticator_set.get()
    secret = authenticator.data["secret"]
    for url in (
        "/admin/mfa/authenticator/",
        f"/admin/mfa/authenticator/{authenticator.pk}/change/",
    ):
        page = admin_client.get(url)
        assert page.status_code == 200
        assert secret not in page.content.decode()
    admin_client.post(f"/admin/mfa/authenticator/{authenticator.pk}/delete/", {"post": "yes"})
    assert not admin_client.admin.authenticator_set.exists()  # a lost phone: set up again


# --- A long unbroken message ------------------------------------------------------


def test_a_long_unbroken_message_wraps_on_the_conversation_page(admin_client, conversation):
    Message.objects.create(
        conversation=conversation, seq=1, author_kind="resident", body="x" * 3000, client_id="c"
    )
    page = admin_client.get(f"/admin/conversations/conversation/{conversation.pk}/change/")
    assert page.status_code == 200
    assert '<link rel="stylesheet" href="/static/css/admin.css">' in page.content.decode()
    css = Path(finders.find("css/admin.css")).read_text(encoding="utf-8")
    rule = css[css.index("#content .readonly") : css.index("}")]
    assert "#content td.field-body" in rule and "overflow-wrap: anywhere" in rule
    assert '<td class="field-body">' in page.content.decode()  # the message cell it targets
