"""Files in real Chromium, as in the `make run` demo: before identification the
resident's attach control says why it is not available; after it the resident
sends a PDF with a visible progress bar (the upload is throttled so that it
shows), the professional sees it in the chat and downloads it; a spoofed file
is refused with the reason; an upload can be cancelled; a phone-sized screen
works and the page passes axe-core. Screenshots in the temp dir."""

import tempfile
import uuid
from pathlib import Path

import pytest

from tests.browser.conftest import (
    dashboard,
    fresh_professional_cookie,
    open_chat_page,
    start_resident,
    watch_errors,
)
from tests.browser.test_accessibility import violations

pytestmark = [pytest.mark.browser]
SCREENSHOTS = Path(tempfile.gettempdir()) / "chatservice-screenshots"

# A valid small PDF, padded with a comment so that a throttled upload takes a while.
PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%" + b"x" * (600 * 1024) + b"\n%%EOF\n"
)


async def _identify(resident, pane) -> None:
    """The professional asks, the resident identifies at the stand-in (as in
    tests/browser/test_identification.py)."""
    await pane.get_by_role("button", name="Begär identifiering").click()
    link = resident.get_by_role("link", name="Identifiera dig")
    await link.wait_for()
    async with resident.context.expect_page() as opened:
        await link.click()
    provider = await opened.value
    await provider.get_by_label("Mobilcertifikat", exact=False).check()
    await provider.get_by_label("Tessa Testilä", exact=False).check()
    await provider.get_by_role("button", name="Identifiera", exact=True).click()
    await provider.get_by_role("heading", name="Du är identifierad").wait_for()
    await provider.close()
    await resident.locator("#status-identified").wait_for(state="visible")


async def _throttle_uploads(page, bytes_per_second: int) -> None:
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("Network.enable")
    await cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 0,
            "downloadThroughput": -1,
            "uploadThroughput": bytes_per_second,
        },
    )


async def test_an_identified_resident_sends_a_pdf_and_the_professional_downloads_it(
    server, browser, axe_path, tmp_path
):
    SCREENSHOTS.mkdir(exist_ok=True)
    name = f"Filip {uuid.uuid4().hex[:6]}"
    cookie = start_resident(server, name)
    resident = await open_chat_page(
        browser,
        server,
        cookie,
        locale="sv-SE",
        bypass_csp=True,
        viewport={"width": 390, "height": 844},  # a phone
    )
    resident_errors = watch_errors(resident)
    staff_opened = await dashboard(browser, server, fresh_professional_cookie(server))
    staff = staff_opened.page
    await staff.get_by_role("button", name=f"Ta: {name}").click()
    pane = staff.locator(".pane:not([hidden])")
    await pane.locator(".pane-title", has_text=name).wait_for()
    await resident.locator("#status-active").wait_for(state="visible")

    # Before identification: the control is there, says why, and refuses.
    button = resident.locator("#attach-button")
    assert await button.get_attribute("aria-disabled") == "true"
    assert "identifierat dig" in await resident.locator("#attach-help").inner_text()
    await button.focus()  # still focusable, so that a keyboard user hears why
    await resident.keyboard.press("Enter")
    assert "identifierat dig" in await resident.locator("#upload-error").inner_text()
    assert await pane.locator(".attach-button").get_attribute("aria-disabled") == "true"
    await resident.screenshot(path=str(SCREENSHOTS / "attachments-1-before-identification.png"))

    await _identify(resident, pane)
    assert await button.get_attribute("aria-disabled") == "false"
    assert "10" in await resident.locator("#attach-help").inner_text()  # the size limit
    await pane.locator(".attach-button[aria-disabled='false']").wait_for()

    # A refused file: an executable named .pdf; the reason is shown, nothing is sent.
    await resident.locator("#attach-input").set_input_files(
        files=[{"name": "kvitto.pdf", "mimeType": "application/pdf", "buffer": b"MZ" + b"\0" * 99}]
    )
    error = resident.locator("#upload-error")
    await error.wait_for(state="visible")
    assert "Program" in await error.inner_text()
    await resident.screenshot(path=str(SCREENSHOTS / "attachments-2-refused.png"))

    # Cancel: a slow upload stopped halfway; nothing arrives.
    await _throttle_uploads(resident, 100 * 1024)
    await resident.locator("#attach-input").set_input_files(
        files=[{"name": "avbruten.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    await resident.locator("#upload-progress-box").wait_for(state="visible")
    await resident.get_by_role("button", name="Avbryt").click()
    await resident.locator("#upload-status", has_text="avbröts").wait_for()
    assert await resident.locator("#upload-progress-box").is_hidden()

    # The PDF, with the progress bar visible while it goes.
    await resident.locator("#attach-input").set_input_files(
        files=[{"name": "labbsvar.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    progress = resident.locator("#upload-progress")
    await progress.wait_for(state="visible")
    assert "labbsvar.pdf" in await resident.locator("#upload-progress-label").inner_text()
    await resident.wait_for_function(
        "() => document.getElementById('upload-progress').value > 0", timeout=15000
    )
    await resident.screenshot(path=str(SCREENSHOTS / "attachments-3-progress.png"))
    sent = resident.locator("li.message.has-attachment", has_text="labbsvar.pdf")
    await sent.wait_for(timeout=30000)
    assert await resident.locator("#upload-progress-box").is_hidden()
    assert "PDF" in await sent.locator(".attachment-meta").inner_text()
    await resident.screenshot(path=str(SCREENSHOTS / "attachments-4-sent.png"))
    assert await violations(resident, axe_path) == []

    # The professional sees it in the chat and downloads it.
    received = pane.locator("li.message.has-attachment", has_text="labbsvar.pdf")
    await received.wait_for()
    assert "PDF" in await received.locator(".attachment-meta").inner_text()
    assert "avbruten.pdf" not in await pane.locator(".messages").inner_text()
    await staff.screenshot(path=str(SCREENSHOTS / "attachments-5-dashboard.png"))
    async with staff.expect_download() as downloading:
        await received.locator(".attachment-link").click()
    download = await downloading.value
    assert download.suggested_filename == "labbsvar.pdf"
    saved = tmp_path / "downloaded.pdf"
    await download.save_as(saved)
    assert saved.read_bytes() == PDF
    assert "Eicar" not in await pane.locator(".messages").inner_text()

    # The professional sends a form back; the resident gets it.
    await pane.locator(".attach-input").set_input_files(
        files=[{"name": "blankett.txt", "mimeType": "text/plain", "buffer": b"Namn:\nDatum:\n"}]
    )
    await resident.locator("li.message.has-attachment", has_text="blankett.txt").wait_for()
    assert resident_errors == [] and staff_opened.errors == []
