"""Fixtures of the attachment tests: an identified, active conversation, the
resident's and the professional's browsers, a scanner double, sample files."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from attachments.models import Attachment
from attachments.scanning import EICAR, ScannerUnavailable, ScanResult
from conversations.models import ConversationStatus
from conversations.selectors import SESSION_KEY
from identity.models import IdentityBinding
from tests.factories import ConversationFactory


class ScannerDouble:
    """Stands in for clamd through the same interface. `verdict`: "clean",
    "infected" or "down"; `scanned` records what it was given."""

    verdict = "clean"
    scanned: list[bytes] = []

    def scan(self, data: bytes) -> ScanResult:
        type(self).scanned.append(data)
        if self.verdict == "down":
            raise ScannerUnavailable("double is down")
        if self.verdict == "infected" or EICAR in data:
            return ScanResult(clean=False, signature="Double-Signature")
        return ScanResult(clean=True)


@pytest.fixture(autouse=True)
def attachment_settings(settings, tmp_path):
    settings.ATTACHMENT_ROOT = tmp_path / "attachments"
    settings.ATTACHMENT_SCANNER = "tests.attachments.conftest.ScannerDouble"
    ScannerDouble.verdict = "clean"
    ScannerDouble.scanned = []
    return settings


@pytest.fixture
def scanner():
    return ScannerDouble


def identify(conversation) -> None:
    """What a completed identification leaves behind (identity app): the
    binding and `identified_at` (docs/identity.md, "In the chat")."""
    IdentityBinding.objects.create(
        conversation=conversation,
        provider="oidc",
        level="substantial",
        acr="http://ftn.ficora.fi/2017/loa2",
        given_names="Tessa",
        family_name="Testilä",
        birth_date=date(1980, 2, 1),
        subject_digest="x" * 64,
    )
    conversation.identified_at = timezone.now()
    conversation.save(update_fields=["identified_at"])


@pytest.fixture
def active(service, professional):
    """An active conversation assigned to `professional`, not identified yet."""
    return ConversationFactory(
        service=service,
        status=ConversationStatus.ACTIVE,
        assigned_to=professional,
        claimed_at=timezone.now(),
    )


@pytest.fixture
def identified(active):
    identify(active)
    return active


def browser_for(conversation) -> Client:
    """A browser whose session owns `conversation`, as after the intake."""
    session = SessionStore()
    session[SESSION_KEY] = conversation.pk
    session.create()
    client = Client()
    client.cookies[django_settings.SESSION_COOKIE_NAME] = session.session_key  # type: ignore[assignment]
    return client


def staff_browser(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


BOUNDARY = "----attachment-test-boundary"


def multipart(data: bytes, name: str, content_type: str = "") -> bytes:
    """The body a browser sends, with the file name exactly as given (Django's
    test client would drop a path from it before it is sent)."""
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    return (
        (
            f"--{BOUNDARY}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{quoted}"\r\n'
            f"Content-Type: {content_type or 'application/octet-stream'}\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )


def upload(client: Client, data: bytes, name: str, content_type: str = "", url: str = ""):
    url = url or reverse("attachments:resident_upload")
    return client.post(
        url,
        data=multipart(data, name, content_type),
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
    )


def staff_upload_url(conversation) -> str:
    return reverse("attachments:staff_upload", args=[conversation.pk])


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def nothing_stored(settings) -> bool:
    return not Attachment.objects.exists() and not stored_files(settings.ATTACHMENT_ROOT)


# --- sample files -------------------------------------------------------------

PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)


def jpeg_with_gps() -> bytes:
    from PIL import Image

    image = Image.new("RGB", (32, 24), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0132] = "2026:11:25 10:00:00"  # DateTime
    gps = {1: "N", 2: (60.0, 10.0, 0.0), 3: "E", 4: (24.0, 56.0, 0.0)}
    exif[0x8825] = gps  # GPSInfo
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def png() -> bytes:
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret location")
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 90, 200)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def docx(extra: dict[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", b'<?xml version="1.0"?><Types/>')
        archive.writestr("word/document.xml", b"<w:document/>")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


def zip_archive() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", b"hello")
    return out.getvalue()
