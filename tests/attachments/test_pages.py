"""The pages: the resident's history shows files (server-rendered, one query for
all of them), the attach control explains itself before identification, and
the dashboard carries the control's settings."""

import json
import re

import pytest
from django.urls import reverse

from attachments.models import Attachment
from tests.attachments.conftest import PDF, browser_for, staff_browser, upload

pytestmark = pytest.mark.django_db


def test_the_chat_page_renders_files_in_the_history_with_name_type_size_and_link(identified):
    client = browser_for(identified)
    upload(client, PDF, "lab.pdf", "application/pdf")
    attachment = Attachment.objects.get()
    page = client.get(reverse("customers:chat")).content.decode()
    url = reverse("attachments:download", args=[attachment.public_id])
    item = re.search(r'<li class="message[^"]*has-attachment".*?</li>', page, re.S)
    assert item, "the file's message is not in the history"
    assert f'href="{url}"' in item.group(0)
    assert "lab.pdf" in item.group(0) and "PDF" in item.group(0)
    assert 'id="attach-button"' in page
    assert 'aria-disabled="false"' in page


def test_before_identification_the_control_says_why(active):
    page = browser_for(active).get(reverse("customers:chat")).content.decode()
    button = re.search(r'<button[^>]*id="attach-button"[^>]*>', page).group(0)  # type: ignore[union-attr]
    assert 'aria-disabled="true"' in button
    help_text = re.search(r'<p id="attach-help"[^>]*>(.*?)</p>', page, re.S).group(1)  # type: ignore[union-attr]
    assert "identifierat dig" in help_text


def test_the_dashboard_has_the_file_control(professional):
    page = staff_browser(professional).get(reverse("staff:dashboard")).content.decode()
    found = re.search(r'<script id="attach-config" type="application/json">(.*?)</script>', page)
    assert found
    config = json.loads(found.group(1))
    assert config["upload_url"] == "/attachments/staff/0/upload/"
    assert ".pdf" in config["accept"] and ".exe" not in config["accept"]
    assert 'class="attach-button"' in page
