"""Hostile form input over HTTP, property-based: every form a person can post —
the intake, the survey, the transcript e-mail, the upload's metadata, and the
staff side's forms (report filters, the keep-alive, the login, the privacy
actions of the administrators) plus the language switch and "end and clear".

Bodies are built byte by byte, so that they can carry what a browser never
sends: invalid UTF-8 and encoded lone surrogates, NUL and control characters,
HTML/JS payloads, huge values, repeated keys, unknown keys, missing keys, a
different encoding than the one declared, and multipart envelopes that are
broken. For every example:

- never a 500, a traceback or a logged error;
- a clear answer: 4xx with the form's errors, or the value accepted;
- what is accepted is stored clean and renders escaped, what is refused is not
  stored at all (no half-written row, no stored file);
- another conversation is untouched.

The staff's notes, transfers and closing go over the staff socket; their frames
are fuzzed in test_fuzz_frames.py.
"""

from __future__ import annotations

import json
import logging
import re
from urllib.parse import quote, quote_from_bytes, urlsplit

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core import mail
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from attachments.models import NAME_MAX, Attachment
from closing.models import TranscriptRequest
from closing.tokens import make_transcript_token
from conversations import limits
from conversations.models import AuditEntry, Conversation, ConversationEvent, ConversationStatus
from conversations.selectors import SESSION_KEY
from surveys.models import SurveyResponse
from surveys.tokens import make_survey_token
from tests.attachments.conftest import PDF, ScannerDouble, identify, png
from tests.closing.conftest import eager_celery, served_conversation  # noqa: F401 - fixture
from tests.factories import ConversationFactory, ServiceFactory, UserFactory

pytestmark = pytest.mark.django_db

FUZZ = hypothesis_settings(
    max_examples=40,
    deadline=None,
    derandomize=True,  # the same examples in every run: CI is reproducible
    # No shrinking: a failing example is printed as found (huge values shrink slowly).
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

# Markup that must never come back as markup.
MARKUP = [
    "<script>window.__pwned=1</script>",
    '"><img src=x onerror="window.__pwned=2">',
    "'><svg onload=window.__pwned=3>",
    "</textarea><script>window.__pwned=4</script>",
    '<a href="javascript:window.__pwned=5">x</a>',
]
HOSTILE = [
    *MARKUP,
    "javascript:alert(1)",
    "\x00",
    "a\x00b",
    "\x01\x07\x08\x1b[31m\x7f",
    "\r\nSet-Cookie: x=1",
    "\u202e\u200b\ufeff\u2028",
    "\ud800",  # a lone surrogate: sent as its (invalid) UTF-8 bytes
    "\udfff\ud800x",
    "010280-952L",  # an identity code
    "' OR 1=1; --",
    "%00%ff%",
    "{{ 7*7 }}{% debug %}",
    "x" * 5_000,
    "🙂" * 300,
    "",
    " ",
]
TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(HOSTILE),
    st.text(st.characters(categories=["Cc", "Cf", "Cs", "Co", "Zl", "Zp"]), max_size=12),
)
# Values as bytes on the wire: text (lone surrogates as their invalid UTF-8
# bytes), raw bytes that are no UTF-8 at all, and a huge one now and then.
VALUE = st.one_of(
    TEXT.map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.sampled_from(MARKUP).map(str.encode),
    st.binary(max_size=30),
    st.just(b"\xff\xfe\xfd"),
    # Just over any field's limit, or far over it.
    st.integers(1, 3000).map(lambda n: "å".encode() * n),
    st.just(b"y" * 200_000),
)


def extra_key(known: list[str]):
    return st.one_of(
        st.sampled_from([*known, "csrfmiddlewaretoken", "__proto__", "", "a[]", "ä", "x" * 300]),
        TEXT.map(lambda s: s.encode("utf-8", "surrogatepass")),
    )


def encoded(v: str | bytes) -> bytes:
    return v if isinstance(v, bytes) else v.encode("utf-8", "surrogatepass")


@st.composite
def fields(draw, valid: dict[str, str | list[str]]) -> list[tuple[bytes, bytes]]:
    """Pairs in order (repeated keys possible): each known field valid, hostile,
    missing or repeated; then unknown fields."""
    pairs: list[tuple[bytes, bytes]] = []
    # Often one field hostile and the others right, so that the hostile value
    # reaches the form's validation (and storage, when it gets through).
    target = draw(st.sampled_from([*valid, None]))
    for name, good in valid.items():
        goods = good if isinstance(good, list) else [good]
        if target is not None:
            choice = "hostile" if name == target else "valid"
        else:
            choice = draw(st.sampled_from(["valid", "valid", "hostile", "missing", "repeated"]))
        if choice == "valid":
            pairs += [(name.encode(), encoded(g)) for g in goods]
        elif choice == "hostile":
            pairs.append((name.encode(), draw(VALUE)))
        elif choice == "repeated":
            pairs += [(name.encode(), draw(VALUE)), (name.encode(), encoded(goods[0]))]
    for key, value in draw(st.lists(st.tuples(extra_key(list(valid)), VALUE), max_size=3)):
        pairs.append((encoded(key), value))
    return pairs


BOUNDARY = b"fuzz-boundary-7MA4YWxkTrZu0gW"


def urlencoded(pairs) -> bytes:
    return b"&".join(
        quote_from_bytes(k).encode() + b"=" + quote_from_bytes(v).encode() for k, v in pairs
    )


def multipart(pairs, files=()) -> bytes:
    """A multipart body with the names, file names and types exactly as given."""
    out = b""
    for key, value in pairs:
        out += (
            b"--"
            + BOUNDARY
            + b'\r\nContent-Disposition: form-data; name="'
            + key.replace(b'"', b"%22")
            + b'"\r\n\r\n'
            + value
            + b"\r\n"
        )
    for field, filename, content_type, data in files:
        out += (
            b"--"
            + BOUNDARY
            + b'\r\nContent-Disposition: form-data; name="'
            + field
            + b'"; filename="'
            + filename.replace(b'"', b'\\"')
            + b'"\r\n'
        )
        if content_type is not None:
            out += b"Content-Type: " + content_type + b"\r\n"
        out += b"\r\n" + data + b"\r\n"
    return out + b"--" + BOUNDARY + b"--\r\n"


MULTIPART = "multipart/form-data; boundary=" + BOUNDARY.decode()


@st.composite
def body(draw, valid: dict[str, str | list[str]]) -> tuple[bytes, str]:
    """(body, content type): the form's fields in either encoding, or something
    that is not a form at all."""
    pairs = draw(fields(valid))
    how = draw(st.sampled_from(["urlencoded", "urlencoded", "multipart", "multipart", "odd"]))
    if how == "urlencoded":
        return urlencoded(pairs), "application/x-www-form-urlencoded"
    if how == "multipart":
        return multipart(pairs), MULTIPART
    return draw(
        st.sampled_from(
            [
                (
                    json.dumps(
                        {k.decode("latin-1"): v.decode("latin-1") for k, v in pairs}
                    ).encode(),
                    "application/json",
                ),
                (urlencoded(pairs), "multipart/form-data"),  # no boundary
                (urlencoded(pairs), MULTIPART),  # not multipart at all
                (multipart(pairs)[:-30], MULTIPART),  # cut short
                (multipart(pairs), "application/x-www-form-urlencoded"),
                (b"&&&==&=%zz&%%=" + b"a=" * 1500, "application/x-www-form-urlencoded"),
                (urlencoded(pairs), "text/plain; charset=utf-16"),
                (urlencoded(pairs), "application/x-www-form-urlencoded; charset=no-such-codec"),
            ]
        )
    )


def post(client: Client, path: str, payload: tuple[bytes, str], **headers):
    data, content_type = payload
    return client.generic("POST", path, data, content_type=content_type, headers=headers)


def sent_markup(payload: tuple[bytes, str]) -> list[bytes]:
    return [
        m.encode() for m in MARKUP if m.encode() in payload[0] or quote(m).encode() in payload[0]
    ]


def check_answer(response, caplog, allowed: set[int], payload=None) -> None:
    """No 500, no traceback, no logged error; one of the form's answers; any
    hostile markup that came back is escaped."""
    assert response.status_code in allowed, (response.status_code, response.content[:500])
    content = response.content if not getattr(response, "streaming", False) else b""
    assert b"Traceback" not in content
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]
    if payload is not None:
        for markup in sent_markup(payload):
            assert markup not in content, markup
    caplog.clear()


def snapshot(conversation: Conversation) -> tuple:
    conversation.refresh_from_db()
    return (
        conversation.status,
        conversation.resident_name,
        conversation.resident_phone,
        conversation.matter,
        conversation.last_seq,
        conversation.messages.count(),
        ConversationEvent.objects.filter(conversation=conversation).count(),
        Attachment.objects.filter(conversation=conversation).count(),
        TranscriptRequest.objects.filter(conversation=conversation).count(),
    )


def browser_for(conversation) -> Client:
    session = SessionStore()
    session[SESSION_KEY] = conversation.pk
    session.create()
    client = Client()
    client.cookies["sessionid"] = str(session.session_key)
    return client


def clean_text(value: str, max_length: int) -> None:
    assert len(value) <= max_length
    assert "\x00" not in value
    assert not re.search(r"[\ud800-\udfff]", value)


@pytest.fixture(autouse=True)
def _quiet_limits(settings):
    """The fuzzer submits far faster than people: its examples are not limited
    (the limits have their own tests, test_abuse_limits.py)."""
    settings.INTAKE_RATE_LIMIT = 1_000_000
    settings.ATTACHMENT_RATE_LIMIT = 1_000_000
    settings.ATTACHMENT_MAX_PER_CONVERSATION = 1_000_000
    settings.ATTACHMENT_MAX_CONVERSATION_BYTES = 10**12
    settings.TRANSCRIPT_MAX_PER_CONVERSATION = 1_000_000
    settings.TRANSCRIPT_MAX_PER_ADDRESS_PER_DAY = 1_000_000


@pytest.fixture
def bystander(db):
    """Another conversation, with content, that no example may touch."""
    return served_conversation(close=False)


# --- the intake -------------------------------------------------------------------

INTAKE = {"name": "Testi Asukas", "phone": "040 123 4567", "matter": "A question"}


@FUZZ
@given(data=st.data())
def test_intake_form(bystander, caplog, data):
    caplog.set_level(logging.ERROR)
    service = bystander.service
    before = snapshot(bystander)
    count = Conversation.objects.count()
    client = Client()
    payload = data.draw(body(INTAKE))
    response = post(client, reverse("customers:intake", args=[service.slug]), payload)
    check_answer(response, caplog, {302, 400}, payload)
    if response.status_code == 302:
        assert urlsplit(response["Location"]).path == reverse("customers:chat")
        assert Conversation.objects.count() == count + 1
        started = Conversation.objects.get(pk=client.session[SESSION_KEY])
        clean_text(started.resident_name, limits.NAME_MAX)
        clean_text(started.matter, limits.MATTER_MAX)
        assert re.fullmatch(r"\+\d{6,15}", started.resident_phone)
        assert started.resident_name.strip() and started.matter.strip()
        # Rendered on the resident's page: escaped.
        check_answer(client.get(reverse("customers:chat")), caplog, {200}, payload)
    else:
        assert "errorlist" in response.content.decode() or response.status_code == 400
        assert Conversation.objects.count() == count
        assert SESSION_KEY not in client.session
    assert snapshot(bystander) == before


CONTACT = {
    "contact-name": "Testi Asukas",
    "contact-phone": "040 123 4567",
    "contact-matter": "Call me",
}


@FUZZ
@given(data=st.data())
def test_contact_request_form(bystander, caplog, data):
    """The contact request on a closed service's page (callbacks/): the intake's fields."""
    caplog.set_level(logging.ERROR)
    closed_service = ServiceFactory(always_open=False, contact_requests=True)
    before = snapshot(bystander)
    count = Conversation.objects.count()
    payload = data.draw(body(CONTACT))
    url = reverse("callbacks:contact", args=[closed_service.slug])
    response = post(Client(), url, payload)
    check_answer(response, caplog, {302, 400}, payload)
    if response.status_code == 302:
        assert urlsplit(response["Location"]).path.endswith("/contact/sent/")
        assert Conversation.objects.count() == count + 1
        left = Conversation.objects.latest("pk")
        clean_text(left.resident_name, limits.NAME_MAX)
        clean_text(left.matter, limits.MATTER_MAX)
        assert re.fullmatch(r"\+\d{6,15}", left.resident_phone)
    else:
        assert Conversation.objects.count() == count
    assert snapshot(bystander) == before


@FUZZ
@given(data=st.data())
def test_callback_request_form(bystander, caplog, data):
    """ "Call me back instead" of a waiting resident: nothing to fill in, anything posted is ignored."""
    caplog.set_level(logging.ERROR)
    waiting = ConversationFactory(service=bystander.service)
    before = snapshot(bystander)
    payload = data.draw(body({"phone": "040 123 4567"}))
    headers = data.draw(st.sampled_from([{}, {"X_Fragment": "1"}]))
    response = post(browser_for(waiting), reverse("callbacks:request"), payload, **headers)
    check_answer(response, caplog, {200, 302, 409}, payload)
    waiting.refresh_from_db()
    assert waiting.resident_phone == "+358401234567"  # never taken from the post
    assert snapshot(bystander) == before


# --- the survey -------------------------------------------------------------------

SURVEY = {"satisfaction": "4", "help_received": "partly", "comment": "Tack."}


@FUZZ
@given(data=st.data())
def test_survey_form(bystander, caplog, data):
    caplog.set_level(logging.ERROR)
    closed = served_conversation(service=bystander.service, professional=bystander.assigned_to)
    before = snapshot(bystander)
    answers = SurveyResponse.objects.count()
    url = reverse("surveys:survey", args=[make_survey_token(closed.pk)])
    payload = data.draw(body(SURVEY))
    response = post(Client(), url, payload)
    check_answer(response, caplog, {200, 400}, payload)
    if response.status_code == 200:
        assert SurveyResponse.objects.count() == answers + 1
        answer = SurveyResponse.objects.latest("pk")
        assert answer.satisfaction in range(1, 6)
        assert answer.help_received in ("yes", "partly", "no")
        clean_text(answer.comment, 2000)
        # Answered: a second answer is refused, not stored.
        again = post(
            Client(),
            url,
            (urlencoded([(b"satisfaction", b"1")]), "application/x-www-form-urlencoded"),
        )
        check_answer(again, caplog, {409})
        assert SurveyResponse.objects.count() == answers + 1
    else:
        assert SurveyResponse.objects.count() == answers
    assert snapshot(bystander) == before


@FUZZ
@given(token=TEXT | st.binary(max_size=60).map(lambda b: b.decode("latin-1")))
def test_survey_link_with_any_token(db, caplog, token):
    caplog.set_level(logging.ERROR)
    path = "/survey/" + quote(token.encode("utf-8", "surrogatepass"), safe="") + "/"
    for method in ("get", "post"):
        response = getattr(Client(), method)(path)
        check_answer(response, caplog, {404, 410})
    assert SurveyResponse.objects.count() == 0


# --- the transcript e-mail ------------------------------------------------------------


@FUZZ
@given(data=st.data())
def test_transcript_form(bystander, caplog, data, django_capture_on_commit_callbacks):
    caplog.set_level(logging.ERROR)
    closed = served_conversation(service=bystander.service, professional=bystander.assigned_to)
    before = snapshot(bystander)
    requests = TranscriptRequest.objects.count()
    sent = len(mail.outbox)
    token = data.draw(
        st.sampled_from(
            [
                make_transcript_token(closed.pk),
                make_transcript_token(closed.pk),
                make_transcript_token(bystander.pk),  # another conversation's
                make_transcript_token(closed.pk)[:-3] + "abc",  # forged
            ]
        )
    )
    payload = data.draw(body({"token": token, "email": "resident@example.net"}))
    client = browser_for(closed)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, reverse("closing:transcript"), payload, X_Fragment="1")
    check_answer(response, caplog, {200, 400}, payload)
    if response.status_code == 200:
        assert TranscriptRequest.objects.count() == requests + 1
        assert len(mail.outbox) == sent + 1
        (address,) = mail.outbox[-1].to
        assert re.fullmatch(r"[^\s<>\x00-\x1f]+@[^\s<>\x00-\x1f]+", address), address
    else:
        assert 'role="alert"' in response.content.decode() or b"error" in response.content
        assert TranscriptRequest.objects.count() == requests
        assert len(mail.outbox) == sent
    assert snapshot(bystander) == before


# --- the upload's metadata --------------------------------------------------------------

SAMPLES = [
    (b"pdf", PDF),
    (b"txt", b"Hello, results attached.\n"),
    (b"png", png()),
    (b"bin", bytes(range(256))),
    (b"empty", b""),
]
DECLARED = st.one_of(
    st.sampled_from(
        [
            None,
            b"application/pdf",
            b"text/plain",
            b"image/png",
            b"application/octet-stream",
            b"text/html",
            b"image/svg+xml",
            b"application/pdf; charset=\xff",
            b"",
            b"text/plain\r\nX-Injected: 1",
        ]
    ),
    VALUE,
)
FILENAME = st.one_of(
    st.sampled_from(
        [
            b"lab.pdf",
            b"notes.txt",
            b"photo.png",
            b"a.exe",
            b"..",
            b"../../etc/passwd.pdf",
            b"C:\\x\\lab.pdf",
            b"lab.pdf\x00.exe",
            b"\xe2\x80\xaefdp.exe",
            b"",
            b".pdf",
            b"a" * 400 + b".pdf",
            b"x.txt\r\nContent-Type: text/html",
        ]
    ),
    VALUE,
    TEXT.map(lambda s: (s + ".pdf").encode("utf-8", "surrogatepass")),
)


@st.composite
def upload_body(draw) -> tuple[bytes, str]:
    files = []
    for _ in range(draw(st.sampled_from([1, 1, 1, 0, 2]))):
        kind, data = draw(st.sampled_from(SAMPLES))
        name = draw(
            st.sampled_from([b"file"]) | st.sampled_from([b"files", b"file[]", b"", b"FILE"])
        )
        filename = draw(FILENAME | st.just(b"upload." + kind))
        files.append((name, filename, draw(DECLARED), data))
    extras = draw(
        st.lists(st.tuples(extra_key(["file", "name", "content_type"]), VALUE), max_size=3)
    )
    extras = [(encoded(k), v) for k, v in extras]
    raw = multipart(extras, files)
    how = draw(st.sampled_from(["ok", "ok", "ok", "cut", "no-boundary", "other-boundary", "form"]))
    if how == "cut":
        return raw[: draw(st.integers(0, len(raw)))], MULTIPART
    if how == "no-boundary":
        return raw, "multipart/form-data"
    if how == "other-boundary":
        return raw, 'multipart/form-data; boundary="\u00e4-"'
    if how == "form":
        return urlencoded(extras), "application/x-www-form-urlencoded"
    return raw, MULTIPART


@pytest.fixture
def identified(bystander, settings, tmp_path):
    settings.ATTACHMENT_ROOT = tmp_path / "attachments"
    settings.ATTACHMENT_SCANNER = "tests.attachments.conftest.ScannerDouble"
    ScannerDouble.verdict = "clean"
    conversation = ConversationFactory(
        service=bystander.service,
        status=ConversationStatus.ACTIVE,
        assigned_to=bystander.assigned_to,
    )
    identify(conversation)
    return conversation


def stored_files(root) -> int:
    return sum(1 for p in root.rglob("*") if p.is_file()) if root.exists() else 0


UPLOAD_ANSWERS = {201, 400, 403, 409, 413, 415, 422}


@FUZZ
@given(data=st.data())
def test_upload_metadata(identified, bystander, settings, caplog, data):
    caplog.set_level(logging.ERROR)
    before = snapshot(bystander)
    count = Attachment.objects.count()
    files = stored_files(settings.ATTACHMENT_ROOT)
    payload = data.draw(upload_body())
    resident = browser_for(identified)
    staff = Client()
    staff.force_login(identified.assigned_to, backend="django.contrib.auth.backends.ModelBackend")
    client, url = data.draw(
        st.sampled_from(
            [
                (resident, reverse("attachments:resident_upload")),
                (staff, reverse("attachments:staff_upload", args=[identified.pk])),
            ]
        )
    )
    response = post(client, url, payload)
    check_answer(response, caplog, UPLOAD_ANSWERS)
    # Always the endpoint's JSON, which the pages show (never Django's error page).
    assert response["Content-Type"] == "application/json", (
        response.status_code,
        response.content[:300],
    )
    answer = json.loads(response.content)
    if response.status_code == 201:
        assert Attachment.objects.count() == count + 1
        assert stored_files(settings.ATTACHMENT_ROOT) == files + 1
        stored = Attachment.objects.latest("created_at")
        name = stored.name
        assert name == answer["attachment"]["name"]
        assert 0 < len(name) <= NAME_MAX
        assert not re.search(r"[\x00-\x1f\x7f/\\<>\"\u202e\ud800-\udfff]", name), name
        download = resident.get(reverse("attachments:download", args=[stored.public_id]))
        check_answer(download, caplog, {200})
        disposition = download["Content-Disposition"]
        assert disposition.startswith("attachment") and "\n" not in disposition
        assert download["X-Content-Type-Options"] == "nosniff"
    else:
        assert set(answer) == {"error"} and answer["error"]["message"]
        assert Attachment.objects.count() == count
        assert stored_files(settings.ATTACHMENT_ROOT) == files
    assert snapshot(bystander) == before


# --- the staff side ---------------------------------------------------------------------


def staff_client(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def supervisor(bystander):
    user = UserFactory(is_supervisor=True)
    bystander.service.professionals.add(user)
    return user


@pytest.fixture
def administrator(db):
    return UserFactory(is_superuser=True)


@FUZZ
@given(data=st.data())
def test_report_filters(bystander, supervisor, caplog, data):
    caplog.set_level(logging.ERROR)
    other = ServiceFactory()
    pairs = data.draw(
        fields({"start": "2026-01-01", "end": "2026-01-31", "service": str(bystander.service_id)})
    )
    pairs += data.draw(st.lists(st.just((b"service", str(other.pk).encode())), max_size=1))
    query = urlencoded(pairs).decode()
    audits = AuditEntry.objects.count()
    client = staff_client(supervisor)
    for name in ("staff:supervisor_report", "staff:supervisor_report_csv"):
        response = client.get(reverse(name) + "?" + query)
        check_answer(response, caplog, {200, 400})
        if response.status_code == 200 and name.endswith("csv"):
            assert response["Content-Type"].startswith("text/csv")
        for markup in MARKUP:
            assert markup.encode() not in response.content
    # Only a report actually built is audited, once per view.
    assert AuditEntry.objects.count() - audits <= 2
    # Never another service's figures: the supervisor's only service, or a refusal.
    assert (
        other.name().encode()
        not in client.get(reverse("staff:supervisor_report") + "?" + query).content
    )


@FUZZ
@given(data=st.data())
def test_keepalive_end_and_language_switch(bystander, caplog, data):
    caplog.set_level(logging.ERROR)
    before = snapshot(bystander)
    payload = data.draw(body({"language": "fi", "next": "/widget/"}))
    professional = staff_client(bystander.assigned_to)
    check_answer(post(professional, reverse("staff:keepalive"), payload), caplog, {200})
    # "End and clear" of a browser that owns nothing: ends nothing else.
    check_answer(post(Client(), reverse("customers:end"), payload), caplog, {302})
    switched = post(Client(), "/i18n/setlang/", payload)
    # Django's own view: a body it cannot parse is a 400 (the site's error page).
    check_answer(switched, caplog, {302, 200, 400})
    if switched.status_code == 302:
        where = urlsplit(switched["Location"])
        assert not where.netloc and not where.scheme, switched["Location"]  # never off-site
        assert not switched["Location"].startswith("//")
    assert snapshot(bystander) == before


@FUZZ
@given(data=st.data())
def test_staff_profile_form(bystander, caplog, data):
    caplog.set_level(logging.ERROR)
    professional = bystander.assigned_to
    payload = data.draw(body({"languages": ["sv", "fi"]}))
    response = post(staff_client(professional), reverse("staff:profile"), payload)
    check_answer(response, caplog, {302, 400}, payload)
    professional.refresh_from_db()
    assert set(professional.languages) <= {"sv", "fi", "en"}


@pytest.fixture
def anna(db):
    return UserFactory(email="anna@example.org")


@FUZZ
@given(data=st.data())
def test_staff_login_form(anna, caplog, data):
    caplog.set_level(logging.ERROR)
    payload = data.draw(body({"login": "anna@example.org", "password": "wrong-password"}))
    response = post(Client(), reverse("account_login"), payload)
    # 200/400: the form again; 429: allauth's limit of failed logins.
    check_answer(response, caplog, {200, 400, 429}, payload)
    assert "_auth_user_id" not in Client().session


@FUZZ
@given(data=st.data())
def test_privacy_admin_actions(bystander, administrator, caplog, data):
    caplog.set_level(logging.ERROR)
    closed = served_conversation(service=bystander.service, professional=bystander.assigned_to)
    before = snapshot(bystander)
    admin = staff_client(administrator)
    selected = data.draw(
        st.lists(
            st.sampled_from([str(closed.pk), str(bystander.pk), "abc", "-1", "1e3", "9" * 40, ""])
            | TEXT,
            max_size=3,
        )
    )
    valid = {
        "action": data.draw(
            st.sampled_from(["erase_resident_data", "export_resident_data", "delete_selected", "x"])
        ),
        "_selected_action": selected or [str(closed.pk)],
        "confirm": data.draw(st.sampled_from(["yes", "no", ""])),
        "index": "0",
    }
    payload = data.draw(body(valid))
    response = post(admin, reverse("admin:conversations_conversation_changelist"), payload)
    check_answer(response, caplog, {200, 302, 400})
    # Only what was selected and is closed may be erased, and only once confirmed;
    # the open one stays whatever was posted.
    assert snapshot(bystander) == before
    if not Conversation.objects.filter(pk=closed.pk).exists():
        pairs = set(re.findall(rb"(?:^|&)(action|confirm)=([^&]*)", payload[0]))
        pairs |= set(re.findall(rb'name="(action|confirm)"\r\n\r\n([^\r]*)', payload[0]))
        assert (b"action", b"erase_resident_data") in pairs and (b"confirm", b"yes") in pairs
        assert str(closed.pk).encode() in payload[0]


def test_every_form_is_fuzzed():
    """A new endpoint must be named here: fuzzed above, or not a form (pages
    without input; the identity provider's and video's endpoints, which take
    the providers' and the browsers' protocols, not forms, and are refused
    without a valid state; the admin's and allauth's pages other than the
    ones fuzzed here are Django's and allauth's own forms)."""
    from tests.reliability.test_http_access import GROUPS, endpoint_names

    fuzzed = {
        "customers:intake",
        "customers:end",
        "surveys:survey",
        "closing:transcript",
        "attachments:resident_upload",
        "attachments:staff_upload",
        "staff:supervisor_report",
        "staff:supervisor_report_csv",
        "staff:keepalive",
        "set_language",
        "account_login",
        "callbacks:contact",
        "callbacks:request",
        "staff:profile",
    }
    not_forms = {
        "callbacks:contact_sent",
        "healthz",
        "readyz",
        "metrics",
        "customers:front",
        "customers:privacy",
        "customers:widget",
        "customers:services",
        "customers:chat",
        "customers:ended",
        "closing:after_chat",
        "attachments:download",
        "staff:dashboard",
        "staff:supervisor",
        "staff:supervisor_data",
        "video:check",
    }
    names = {n for n in endpoint_names() if not n.startswith(GROUPS) or n in fuzzed}
    names = {n for n in names if not n.startswith("identity:")}
    unknown = names - fuzzed - not_forms
    assert not unknown, f"endpoints neither fuzzed nor known to take no form: {sorted(unknown)}"
