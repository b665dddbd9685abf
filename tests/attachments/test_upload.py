"""The upload endpoints: the gate, every refusal (with nothing stored), the
limits, the scanner's verdicts, and what both parties get."""

import json

import pytest
from django.urls import reverse

from attachments.models import Attachment, AttachmentState
from conversations.events import MessageNew
from conversations.models import ConversationStatus, Message
from tests.attachments.conftest import (
    PDF,
    browser_for,
    docx,
    identify,
    jpeg_with_gps,
    nothing_stored,
    png,
    staff_browser,
    staff_upload_url,
    stored_files,
    upload,
    zip_archive,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def error_code(response) -> str:
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content)["error"]["code"]


# --- the gate -----------------------------------------------------------------


def test_refused_before_identification_and_accepted_after(active, settings, scanner):
    client = browser_for(active)
    refused = upload(client, PDF, "lab.pdf", "application/pdf")
    assert refused.status_code == 403
    assert error_code(refused) == "not_identified"
    # In the conversation's language (Swedish here).
    assert "identifierat dig" in json.loads(refused.content)["error"]["message"]
    assert nothing_stored(settings)
    assert scanner.scanned == []  # a refused upload is not even read

    identify(active)
    accepted = upload(client, PDF, "lab.pdf", "application/pdf")
    assert accepted.status_code == 201, accepted.content
    body = json.loads(accepted.content)
    assert body["attachment"]["name"] == "lab.pdf"
    assert body["attachment"]["content_type"] == "application/pdf"
    assert body["attachment"]["size"] == len(PDF)
    attachment = Attachment.objects.get()
    assert attachment.state == AttachmentState.CLEAN
    assert attachment.message is not None
    assert attachment.message.seq == body["seq"]
    assert attachment.message.author_kind == "resident"
    assert scanner.scanned == [PDF]


def test_refused_in_a_waiting_or_closed_conversation(identified, settings):
    client = browser_for(identified)
    identified.status = ConversationStatus.WAITING
    identified.save(update_fields=["status"])
    assert error_code(upload(client, PDF, "a.pdf")) == "not_active"
    identified.status = ConversationStatus.CLOSED
    identified.save(update_fields=["status"])
    assert error_code(upload(client, PDF, "a.pdf")) == "conversation_closed"
    assert nothing_stored(settings)


def test_a_browser_without_a_conversation_gets_not_found(client, settings):
    response = upload(client, PDF, "a.pdf")
    assert response.status_code == 404
    assert error_code(response) == "not_found"


def test_the_upload_needs_the_csrf_token(identified, settings):
    from django.test import Client

    client = browser_for(identified)
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = client.cookies
    response = upload(strict, PDF, "a.pdf")
    assert response.status_code == 403
    assert error_code(response) == "csrf_failed"
    assert nothing_stored(settings)


def test_the_message_reaches_both_parties_after_the_commit(
    identified, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(browser_for(identified), PDF, "lab.pdf", "application/pdf")
    assert response.status_code == 201
    (event,) = [e for e in published if isinstance(e, MessageNew)]
    assert event.body == "lab.pdf"
    assert event.attachment == json.loads(response.content)["attachment"]
    from conversations.realtime import conversation_group, recipients

    assert recipients(event) == [conversation_group(identified.pk)]


# --- refusals by content ---------------------------------------------------------

REFUSALS = [
    (
        "executable named .pdf",
        b"MZ\x90\x00" + b"\x00" * 200,
        "report.pdf",
        "application/pdf",
        "executable",
    ),
    (
        "ELF named .txt",
        b"\x7fELF\x02\x01\x01" + b"\x00" * 100,
        "notes.txt",
        "text/plain",
        "executable",
    ),
    ("script named .txt", b"#!/bin/sh\nrm -rf /\n", "notes.txt", "text/plain", "executable"),
    (
        "HTML named .png",
        b"<html><script>alert(1)</script></html>",
        "photo.png",
        "image/png",
        "type_mismatch",
    ),
    (
        "HTML named .txt",
        b"<!DOCTYPE html><html><body>hi</body></html>",
        "a.txt",
        "text/plain",
        "unsafe_content",
    ),
    (
        "SVG named .txt",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        "a.txt",
        "text/plain",
        "unsafe_content",
    ),
    (
        "PDF that is also a zip (polyglot)",
        PDF[:-6] + zip_archive() + b"\n%%EOF\n",
        "a.pdf",
        "application/pdf",
        "unsafe_content",
    ),
    (
        "PDF that is also a web page (polyglot)",
        PDF[:-6] + b"<html><script>x()</script>\n%%EOF\n",
        "a.pdf",
        "application/pdf",
        "unsafe_content",
    ),
    (
        "PDF with JavaScript",
        PDF.replace(
            b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>"
        ),
        "a.pdf",
        "application/pdf",
        "unsafe_content",
    ),
    (
        "a JPEG with a web page after it, named .html",
        jpeg_with_gps() + b"<html>",
        "a.html",
        "text/html",
        "type_mismatch",
    ),
    ("a PDF declared as an image", PDF, "a.pdf", "image/png", "type_mismatch"),
    ("a PDF named .docx", PDF, "a.docx", "", "type_mismatch"),
    ("zip archive", zip_archive(), "files.zip", "application/zip", "archive"),
    ("zip archive named .docx", zip_archive(), "letter.docx", "", "archive"),
    ("gzip", b"\x1f\x8b\x08\x00" + b"\x00" * 50, "a.txt", "", "archive"),
    ("DOCX with macros", docx({"word/vbaProject.bin": b"macro"}), "a.docx", "", "unsafe_content"),
    ("damaged JPEG", b"\xff\xd8\xff\xe0" + b"\x00" * 64, "a.jpg", "image/jpeg", "damaged"),
    ("unknown binary", bytes(range(256)) * 4, "a.txt", "", "unsupported_type"),
    ("empty", b"", "a.txt", "text/plain", "empty_file"),
    ("path traversal", PDF, "../../etc/passwd.pdf", "application/pdf", "invalid_name"),
    ("windows path", PDF, "..\\..\\boot.pdf", "application/pdf", "invalid_name"),
    ("only dots", PDF, "..", "application/pdf", "invalid_name"),
]


@pytest.mark.parametrize(
    ("data", "name", "declared", "code"),
    [r[1:] for r in REFUSALS],
    ids=[r[0] for r in REFUSALS],
)
def test_refused_with_a_clear_error_and_nothing_stored(
    identified, settings, data, name, declared, code
):
    response = upload(browser_for(identified), data, name, declared)
    assert 400 <= response.status_code < 500, response.content
    assert error_code(response) == code
    assert json.loads(response.content)["error"]["message"]
    assert nothing_stored(settings)
    assert not Message.objects.filter(conversation=identified).exists()


def test_a_type_taken_off_the_allow_list_is_refused(identified, settings):
    settings.ATTACHMENT_TYPES = ["pdf"]
    response = upload(browser_for(identified), png(), "a.png", "image/png")
    assert error_code(response) == "unsupported_type"
    assert nothing_stored(settings)


def test_oversize_is_refused_before_it_is_read(identified, settings, scanner):
    settings.ATTACHMENT_MAX_BYTES = 1000
    big = PDF[:-6] + b"%" * 2000 + b"\n%%EOF\n"
    response = upload(browser_for(identified), big, "big.pdf", "application/pdf")
    assert response.status_code == 413
    assert error_code(response) == "too_large"
    assert nothing_stored(settings)
    assert scanner.scanned == []


def test_the_size_limit_holds_when_the_file_is_just_over(identified, settings):
    settings.ATTACHMENT_MAX_BYTES = len(PDF)
    assert upload(browser_for(identified), PDF, "a.pdf").status_code == 201
    over = PDF + b" "
    assert error_code(upload(browser_for(identified), over, "b.pdf")) == "too_large"


def test_too_many_files_in_a_conversation(identified, settings):
    settings.ATTACHMENT_MAX_PER_CONVERSATION = 2
    client = browser_for(identified)
    assert upload(client, PDF, "1.pdf").status_code == 201
    assert upload(client, PDF, "2.pdf").status_code == 201
    response = upload(client, PDF, "3.pdf")
    assert error_code(response) == "conversation_full"
    assert Attachment.objects.count() == 2
    assert len(stored_files(settings.ATTACHMENT_ROOT)) == 2


def test_too_many_bytes_in_a_conversation(identified, settings):
    settings.ATTACHMENT_MAX_CONVERSATION_BYTES = len(PDF) + 10
    client = browser_for(identified)
    assert upload(client, PDF, "1.pdf").status_code == 201
    assert error_code(upload(client, PDF, "2.pdf")) == "conversation_full"
    assert Attachment.objects.count() == 1


def test_uploads_are_rate_limited(identified, settings):
    settings.ATTACHMENT_RATE_LIMIT = 2
    client = browser_for(identified)
    assert upload(client, b"", "a.txt").status_code == 400  # a refused one counts too
    assert upload(client, PDF, "a.pdf").status_code == 201
    response = upload(client, PDF, "b.pdf")
    assert response.status_code == 429
    assert error_code(response) == "rate_limited"
    assert Attachment.objects.count() == 1


def test_the_name_is_cleaned_and_the_file_stored_under_a_random_name(identified, settings):
    name = "lab\u202eresults\x07  010280-952L.pdf"
    response = upload(browser_for(identified), PDF, name, "application/pdf")
    assert response.status_code == 201, response.content
    attachment = Attachment.objects.get()
    # No control or bidi characters; an identity code in the name is masked.
    assert attachment.name == "labresults [***].pdf"
    (path,) = stored_files(settings.ATTACHMENT_ROOT)
    assert "lab" not in path.name and not path.name.endswith(".pdf")
    assert path.read_bytes() == PDF


def test_a_long_name_is_cut_and_keeps_its_extension(identified):
    response = upload(browser_for(identified), PDF, "a" * 300 + ".pdf")
    assert response.status_code == 201
    name = Attachment.objects.get().name
    assert len(name) == 100 and name.endswith(".pdf")


def test_a_jpeg_reaches_the_professional_without_its_gps_tags(identified, settings):
    from io import BytesIO

    from PIL import Image

    original = jpeg_with_gps()
    assert Image.open(BytesIO(original)).getexif().get_ifd(0x8825)  # the sample has GPS
    response = upload(browser_for(identified), original, "photo.jpg", "image/jpeg")
    assert response.status_code == 201
    attachment = Attachment.objects.get()
    download = staff_browser(identified.assigned_to).get(
        reverse("attachments:download", args=[attachment.public_id])
    )
    assert download.status_code == 200
    image = Image.open(BytesIO(download.content))
    assert image.format == "JPEG"
    assert image.size == (32, 24)
    exif = image.getexif()
    assert not exif.get_ifd(0x8825) and 0x010F not in exif  # no GPS, no camera
    assert b"PhoneMaker" not in download.content


def test_other_allowed_types_pass(identified):
    client = browser_for(identified)
    for data, name in (
        (png(), "a.png"),
        (b"Hej!\nBlodtryck 120/80\n", "a.txt"),
        (docx(), "letter.docx"),
    ):
        response = upload(client, data, name)
        assert response.status_code == 201, (name, response.content)


# --- the scanner ----------------------------------------------------------------


def test_an_infected_file_is_refused_deleted_and_both_parties_are_told(
    identified, settings, scanner, published, django_capture_on_commit_callbacks
):
    scanner.verdict = "infected"
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(browser_for(identified), PDF, "a.pdf")
    assert response.status_code == 422
    assert error_code(response) == "infected"
    assert nothing_stored(settings)
    (notice,) = Message.objects.filter(conversation=identified)
    assert notice.author_kind == "system"
    assert "refused" in notice.body.lower() or "avvisades" in notice.body.lower()
    assert [e.author_kind for e in published if isinstance(e, MessageNew)] == ["system"]


def test_a_scanner_that_cannot_answer_refuses_the_upload(identified, settings, scanner):
    scanner.verdict = "down"
    response = upload(browser_for(identified), PDF, "a.pdf")
    assert response.status_code == 503
    assert error_code(response) == "scan_unavailable"
    assert nothing_stored(settings)
    assert not Message.objects.exists()


# --- the professional -------------------------------------------------------------


def test_the_professional_sends_a_form_in_an_identified_conversation(identified, settings):
    client = staff_browser(identified.assigned_to)
    response = upload(client, PDF, "form.pdf", "application/pdf", url=staff_upload_url(identified))
    assert response.status_code == 201, response.content
    message = Attachment.objects.get().message
    assert message is not None and message.author_kind == "staff"
    assert message.author == identified.assigned_to


def test_the_professional_is_refused_before_identification(active, settings):
    client = staff_browser(active.assigned_to)
    response = upload(client, PDF, "form.pdf", url=staff_upload_url(active))
    assert error_code(response) == "peer_not_identified"
    assert nothing_stored(settings)


def test_only_the_assigned_professional_may_send(identified, service, settings):
    colleague = UserFactory()
    service.professionals.add(colleague)
    response = upload(staff_browser(colleague), PDF, "a.pdf", url=staff_upload_url(identified))
    assert error_code(response) == "not_assigned"
    # Not in the service: what a missing conversation gets (ids cannot be probed).
    outsider = UserFactory()
    response = upload(staff_browser(outsider), PDF, "a.pdf", url=staff_upload_url(identified))
    assert error_code(response) == "not_found"
    no_mfa = UserFactory(totp=False)
    response = upload(staff_browser(no_mfa), PDF, "a.pdf", url=staff_upload_url(identified))
    # The staff middleware sends them to set up TOTP first; the view refuses too.
    assert response.status_code in (302, 404)
    assert nothing_stored(settings)


def test_a_resident_cannot_use_the_staff_endpoint(identified, settings):
    response = upload(browser_for(identified), PDF, "a.pdf", url=staff_upload_url(identified))
    assert error_code(response) == "not_found"
    assert nothing_stored(settings)


def test_the_staff_endpoint_answers_in_json_for_an_unknown_conversation(professional):
    response = upload(
        staff_browser(professional), PDF, "a.pdf", url="/attachments/staff/999999/upload/"
    )
    assert response.status_code == 404
    assert error_code(response) == "not_found"
