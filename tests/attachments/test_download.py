"""The authorised download: who may fetch a file, the headers, the audit."""

import pytest
from django.urls import reverse

from attachments.models import Attachment, AttachmentState
from conversations.models import AuditAction, AuditEntry
from tests.attachments.conftest import PDF, browser_for, identify, staff_browser, upload
from tests.factories import ConversationFactory, ServiceFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(identified) -> Attachment:
    response = upload(browser_for(identified), PDF, "lab results.pdf", "application/pdf")
    assert response.status_code == 201, response.content
    return Attachment.objects.get()


def url(attachment: Attachment) -> str:
    return reverse("attachments:download", args=[attachment.public_id])


def assert_safe_download(response, *, content_type: str, filename: str) -> None:
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith("attachment;")
    assert filename in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]


def test_the_allowed_professional_gets_the_file_with_safe_headers_and_it_is_audited(sent):
    professional = sent.conversation.assigned_to
    response = staff_browser(professional).get(url(sent), REMOTE_ADDR="192.0.2.7")
    assert_safe_download(response, content_type="application/pdf", filename="lab results.pdf")
    assert response.content == PDF
    (entry,) = AuditEntry.objects.filter(action=AuditAction.DOWNLOAD_ATTACHMENT)
    assert entry.user_id == professional.pk
    assert entry.conversation_id == sent.conversation_id
    assert entry.address == "192.0.2.7"
    assert "lab" not in entry.detail  # the file by its id, never its name
    assert str(sent.public_id) in entry.detail


def test_a_colleague_in_the_service_may_download_too_and_is_audited(sent, service):
    colleague = UserFactory()
    service.professionals.add(colleague)
    assert staff_browser(colleague).get(url(sent)).status_code == 200
    assert AuditEntry.objects.filter(user_id=colleague.pk).count() == 1


def test_staff_outside_the_service_are_refused_and_nothing_is_audited(sent):
    outsider = UserFactory()
    ServiceFactory().professionals.add(outsider)
    assert staff_browser(outsider).get(url(sent)).status_code == 404
    assert not AuditEntry.objects.exists()


def test_staff_without_a_second_factor_are_refused(sent, service):
    no_mfa = UserFactory(totp=False)
    service.professionals.add(no_mfa)
    response = staff_browser(no_mfa).get(url(sent))
    # The staff middleware sends them to set up TOTP first; the view refuses too.
    assert response.status_code in (302, 404)
    assert response.content != PDF
    assert not AuditEntry.objects.exists()


def test_the_resident_gets_their_own_file(sent):
    response = browser_for(sent.conversation).get(url(sent))
    assert_safe_download(response, content_type="application/pdf", filename="lab results.pdf")
    assert not AuditEntry.objects.exists()  # the resident's own data: no staff audit


def test_a_resident_of_another_conversation_is_refused(sent, service):
    other = ConversationFactory(service=service)
    identify(other)
    assert browser_for(other).get(url(sent)).status_code == 404


def test_nobody_without_a_session_gets_it(sent, client):
    assert client.get(url(sent)).status_code == 404


def test_a_quarantined_file_is_not_downloadable_even_by_its_owner(sent):
    Attachment.objects.filter(pk=sent.pk).update(state=AttachmentState.QUARANTINED)
    assert browser_for(sent.conversation).get(url(sent)).status_code == 404
    assert staff_browser(sent.conversation.assigned_to).get(url(sent)).status_code == 404


def test_text_is_served_as_plain_text_with_a_charset(identified):
    upload(browser_for(identified), "Hej på dig\n".encode(), "note.txt", "text/plain")
    attachment = Attachment.objects.get()
    response = browser_for(identified).get(url(attachment))
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")


def test_only_get(sent):
    assert browser_for(sent.conversation).post(url(sent)).status_code == 405
