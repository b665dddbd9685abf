"""Every frame type against its schema, and docs/protocol.md against the frame
modules: the server, the document and the tests agree by construction."""

import json
import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from callbacks.frames import CallbackState
from conversations import frames
from conversations.protocol import Frame
from crisis.frames import CrisisAlert, CrisisMatches
from customers.consumers import ResidentConsumer
from staff.consumers import StaffConsumer
from video.frames import VIDEO_FRAMES


def _subclasses(cls) -> set[type]:
    found = set(cls.__subclasses__())
    return found.union(*(_subclasses(c) for c in found)) if found else found


# Every frame a socket sends: the core's and the apps' — found, not listed, so that
# an app's new frame cannot miss its example or its row in docs/protocol.md (the
# consumers imported above import every app's frames).
ALL_SERVER_FRAMES = tuple(sorted(_subclasses(frames.OutFrame), key=lambda f: f.__name__))
DOC = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text()

SUMMARY = {
    "id": 1,
    "service": 2,
    "status": "active",
    "resident_name": "Anna",
    "matter": "Vaccin",
    "language": "sv",
    "created": "2026-11-25T10:00:00+00:00",
    "assigned_to": 3,
    "resident_left": False,
    "last_seq": 4,
    "resident_seen_seq": 3,
    "resident_connected": True,
    "identification": "completed",
    "identification_failure": "",
    "identified": True,
    "crisis_phrase": "vill dö",
    "crisis_at": "2026-11-25T10:01:00+00:00",
    "callback": "queue",
    "callback_phone": "040 123 4567",
    "callback_outcome": "no_answer",
    "callback_attempts": 1,
}
PERSON = {
    "given_names": "Tessa",
    "family_name": "Testilä",
    "birth_date": "1980-02-01",
    "level": "substantial",
    "provider": "oidc",
    "identified_at": "2026-11-25T10:05:00+00:00",
    "has_identity_code": True,
}
IDENTIFICATION = {
    "state": "requested",
    "failure": "",
    "link": "/identify/abc/",
    "expires": "2026-11-25T10:15:00+00:00",
    "message": "Identifiera dig",
    "identified": False,
}
NOTE = {
    "conversation": 1,
    "id": 9,
    "client_id": "n-1",
    "author_name": "Bertil",
    "body": "Ring tillbaka",
    "created": "2026-11-25T10:00:00+00:00",
    "assigned_to": 3,
}
EXAMPLES: dict[type[frames.OutFrame], dict] = {
    frames.ResidentHello: {
        "conversation": {
            "id": 1,
            "status": "waiting",
            "service": {"id": 2, "name": "Hälsorådgivning"},
            "professional_name": "",
            "position": 1,
            "last_seq": 0,
            "resident_left": False,
            "language": "sv",
            "peer_seen_seq": 0,
            "identification": IDENTIFICATION,
        }
    },
    frames.StaffHello: {
        "user": {"id": 3, "name": "Anna", "presence": "available", "max_active_chats": 3},
        "services": [2],
        "queue": [SUMMARY],
        "active": [],
    },
    frames.Pong: {},
    frames.Error: {"code": "not_found", "message": "No such conversation", "client_id": "c-1"},
    frames.MessageAck: {
        "conversation": 1,
        "client_id": "c-1",
        "seq": 1,
        "created": "2026-11-25T10:00:00+00:00",
        "duplicate": False,
        "masked": True,
    },
    frames.MessageNew: {
        "conversation": 1,
        "seq": 1,
        "client_id": "c-1",
        "author_kind": "resident",
        "author_name": "Anna",
        "body": "Hej",
        "created": "2026-11-25T10:00:00+00:00",
        "attachment": {
            "id": "0b9e4c1e-6c8f-4a52-9f57-2d1f3c7a9e10",
            "name": "lab.pdf",
            "content_type": "application/pdf",
            "size": 1234,
            "url": "/attachments/0b9e4c1e-6c8f-4a52-9f57-2d1f3c7a9e10/",
        },
    },
    frames.MessageDelivered: {"conversation": 1, "seq": 1},
    frames.SyncDone: {"conversation": 1, "last_seq": 1},
    frames.Typing: {"conversation": 1, "author_kind": "staff", "active": True},
    frames.ConversationState: {
        "conversation": 1,
        "change": "claimed",
        "status": "active",
        "professional_name": "Anna",
        "resident_left": False,
        "close_reason": "",
    },
    frames.QueuePosition: {"position": 1, "waiting": 3},
    frames.ConversationChanged: {
        "event_id": 5,
        "change": "claimed",
        "conversation": SUMMARY,
        "professional_name": "Anna",
        "close_reason": "",
        "system_close_code": "",
        "previous_service": None,
    },
    frames.NoteNew: NOTE,
    frames.ConversationDetail: {
        "conversation": SUMMARY,
        "resident_phone": "+358401234567",
        "service_name": "Hälsorådgivning",
        "notes": [NOTE],
        "person": PERSON,
    },
    frames.PresenceChanged: {"presence": "busy"},
    frames.IdentificationState: {"conversation": 1, "identification": IDENTIFICATION},
    frames.IdentityVerified: {"conversation": 1, "person": PERSON},
    frames.IdentityRevealed: {"conversation": 1, "identity_code": "010280-952L"},
    VIDEO_FRAMES[0]: {
        "conversation": 1,
        "call": 2,
        "state": "accepted",
        "expires": "2026-11-25T10:02:00+00:00",
        "started": "",
        "ended_by": "",
        "end_reason": "",
    },
    VIDEO_FRAMES[1]: {
        "conversation": 1,
        "call": 2,
        "ice_servers": [
            {"urls": ["turn:turn.example.org:3478"], "username": "1:x", "credential": "y"}
        ],
    },
    VIDEO_FRAMES[2]: {
        "conversation": 1,
        "call": 2,
        "kind": "ice",
        "sdp": None,
        "candidate": {
            "candidate": "candidate:1 1 udp 1 192.0.2.1 5000 typ host",
            "sdpMid": "0",
            "sdpMLineIndex": 0,
        },
    },
    CrisisAlert: {"conversation": 1},
    CallbackState: {"conversation": 1, "state": "retry", "attempts": 1, "phone_end": "567"},
    CrisisMatches: {
        "conversation": 1,
        "matches": [{"source": "message", "seq": 3, "phrase": "vill dö", "start": 4, "end": 11}],
    },
}


def test_every_server_frame_has_an_example():
    assert set(EXAMPLES) == set(ALL_SERVER_FRAMES)


@pytest.mark.parametrize("frame", ALL_SERVER_FRAMES, ids=lambda f: f.__name__)
def test_every_server_frame_round_trips_through_its_schema(frame):
    built = frame(**EXAMPLES[frame])
    text = built.render()
    data = json.loads(text)
    assert data["type"] == frame.model_fields["type"].default
    assert frame.model_validate(data) == built
    with pytest.raises(ValidationError):  # unknown fields are refused, as inbound
        frame.model_validate({**data, "surprise": 1})


def test_error_frames_leave_out_what_does_not_apply():
    data = json.loads(frames.Error(code="server_error", message="x").render())
    assert data == {"type": "error", "code": "server_error", "message": "x"}


def _table(heading: str) -> dict[str, str]:
    """`type` → the rest of its row, from the first table after `heading`."""
    section = DOC.split(heading, 1)[1].split("\n### ", 1)[0]
    rows = {}
    for line in section.splitlines():
        match = re.match(r"\|\s*`([a-z.]+)`(?:\s*/\s*`([a-z.]+)`)?\s*\|(.*)", line)
        if match:
            rows[match.group(1)] = match.group(3)
            if match.group(2):
                rows[match.group(2)] = match.group(3)
    return rows


def _fields(model) -> set[str]:
    return {name for name in model.model_fields if name != "type"}


def test_the_document_lists_every_server_frame_with_its_fields():
    rows = _table("### Server → client")
    for frame in ALL_SERVER_FRAMES:
        kind = frame.model_fields["type"].default
        assert kind in rows, f"{kind} is not in docs/protocol.md"
        missing = {f for f in _fields(frame) if f"`{f}`" not in rows[kind]}
        assert not missing, f"{kind}: fields {missing} are not in docs/protocol.md"
    kinds = {f.model_fields["type"].default for f in ALL_SERVER_FRAMES}
    assert set(rows) <= kinds, f"documented but not sent: {set(rows) - kinds}"


def test_the_document_lists_every_client_frame_with_its_fields():
    rows = _table("### Client → server")
    inbound: set[type[Frame]] = set(ResidentConsumer.frame_types) | set(StaffConsumer.frame_types)
    kinds = set()
    for frame in inbound:
        for kind in frame.model_fields["type"].annotation.__args__:  # type: ignore[union-attr]
            kinds.add(kind)
            assert kind in rows, f"{kind} is not in docs/protocol.md"
            missing = {f for f in _fields(frame) if f"`{f}`" not in rows[kind]}
            assert not missing, f"{kind}: fields {missing} are not in docs/protocol.md"
    assert set(rows) <= kinds, f"documented but not accepted: {set(rows) - kinds}"


def test_a_text_message_leaves_out_the_attachment_field():
    example = {k: v for k, v in EXAMPLES[frames.MessageNew].items() if k != "attachment"}
    data = json.loads(frames.MessageNew(**example).render())
    assert "attachment" not in data
    assert (
        json.loads(frames.MessageNew(**EXAMPLES[frames.MessageNew]).render())["attachment"]["name"]
        == "lab.pdf"
    )
