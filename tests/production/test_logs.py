"""Logs written during a whole conversation — intake, messages, claim, close —
contain no name, phone number, identity code, e-mail address or message body,
and every request and socket line is structured JSON with a request id."""

import json
import logging

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from chatservice.jsonlog import JsonFormatter
from chatservice.logfilters import mask_personal_data
from conversations.models import Conversation
from staff.models import CloseReasonOption
from tests.conftest import staff_cookie

pytestmark = pytest.mark.django_db(transaction=True)

NAME = "Aino Virtanen"
PHONE_TYPED, PHONE_STORED = "040 765 4321", "+358407654321"
MATTER = "Kysymys rokotteesta"
HETU = "131052-308T"
BODIES = ["Minulla on kuumetta", "Kuinka kauan olet sairastanut", "Kolme päivää"]


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.setFormatter(JsonFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def captured(settings, service, professional):
    """Starts after the fixtures' own data is made (factory_boy logs at DEBUG)."""
    settings.LOG_REQUESTS = True
    # Loaded first: its django.setup() configures logging again, dropping handlers.
    import chatservice.asgi  # noqa: F401

    handler = Capture()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(old_level)


def raw_text(record: logging.LogRecord) -> str:
    """Everything a record carries, before any masking."""
    parts = [record.getMessage(), str(record.exc_info or ""), record.exc_text or ""]
    parts += [str(v) for k, v in record.__dict__.items() if k not in ("msg", "args")]
    return "\n".join(parts)


async def test_a_whole_conversation_logs_no_personal_data(
    captured, service, professional, open_socket
):
    await database_sync_to_async(CloseReasonOption.objects.create)(
        code="done", label_sv="Klar", label_fi="Valmis", label_en="Done"
    )
    # Intake over HTTP, as the resident's browser does it.
    browser = Client()
    url = f"/widget/services/{service.slug}/"
    await database_sync_to_async(browser.get)(url)
    response = await database_sync_to_async(browser.post)(
        url, {"name": NAME, "phone": PHONE_TYPED, "matter": f"{MATTER} {HETU}"}
    )
    assert response.status_code == 302
    conversation = await database_sync_to_async(Conversation.objects.get)()
    assert conversation.resident_name == NAME
    cookie = f"sessionid={browser.cookies['sessionid'].value}".encode()

    resident = await open_socket("/ws/v1/resident/", cookie)
    pro = await open_socket(
        "/ws/v1/staff/", await database_sync_to_async(staff_cookie)(professional)
    )
    await pro.send({"type": "conversation.claim", "conversation": conversation.pk})
    await pro.recv_until("conversation.changed")
    await pro.sync(conversation.pk, 0)
    await pro.send({"type": "conversation.open", "conversation": conversation.pk})
    detail = await pro.recv_until("conversation.detail")
    assert detail["resident_phone"] == PHONE_STORED

    await resident.send({"type": "message.send", "client_id": "a", "body": BODIES[0]})
    await resident.recv_until("message.ack")
    await pro.send(
        {
            "type": "message.send",
            "client_id": "b",
            "conversation": conversation.pk,
            "body": BODIES[1],
        }
    )
    await resident.recv_until("message.new")
    await resident.send(
        {"type": "message.send", "client_id": "c", "body": f"{BODIES[2]}, hetu {HETU}"}
    )
    assert (await resident.recv_until("message.ack"))["masked"] is True
    await pro.send(
        {
            "type": "note.add",
            "conversation": conversation.pk,
            "client_id": "n",
            "body": f"{NAME} soittaa huomenna {PHONE_TYPED}",
        }
    )
    await pro.recv_until("note.new")
    await pro.send(
        {"type": "conversation.close", "conversation": conversation.pk, "reason": "done"}
    )
    await resident.recv_until("conversation.state")
    await resident.close()
    await pro.close()

    records = captured.records
    lines = [captured.format(r) for r in records]
    forbidden = [
        NAME,
        "Aino",
        "Virtanen",
        PHONE_TYPED,
        PHONE_STORED,
        "0407654321",
        MATTER,
        HETU,
        professional.email,
        professional.first_name,
        *BODIES,
    ]
    for record in records:
        text = raw_text(record)
        for value in forbidden:
            assert value not in text, (value, record.name, record.getMessage())

    # The lines the operator relies on are there, as JSON, with request ids.
    entries = [json.loads(line) for line in lines]
    requests = [e for e in entries if e.get("event") == "http.request"]
    assert {(e["method"], e["status"]) for e in requests} >= {("GET", 200), ("POST", 302)}
    sockets = [e for e in entries if e.get("event") in ("socket.open", "socket.close")]
    assert sorted((e["event"], e["kind"]) for e in sockets) == [
        ("socket.close", "resident"),
        ("socket.close", "staff"),
        ("socket.open", "resident"),
        ("socket.open", "staff"),
    ]
    assert all(e["request_id"] for e in requests + sockets)


def test_what_reaches_a_log_line_anyway_is_masked():
    line = (
        f"IntegrityError: duplicate key (resident_phone)=({PHONE_STORED}) "
        f"for {HETU} / 040-765 4321 / aino.virtanen@example.fi at 2026-11-25 12:00:01, id 12345678"
    )
    masked = mask_personal_data(line)
    for value in (PHONE_STORED, HETU, "040-765 4321", "aino.virtanen@example.fi"):
        assert value not in masked
    # Dates, times and ids stay readable.
    assert "2026-11-25 12:00:01" in masked and "id 12345678" in masked

    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed: %s", (line,), None)
    entry = json.loads(JsonFormatter().format(record))
    assert HETU not in entry["message"] and PHONE_STORED not in entry["message"]
