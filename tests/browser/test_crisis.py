"""Crisis phrases in a real browser, on the `make run` configuration: the resident
sees the banner at once (from the matter, and live when they write), with 112 and
the crisis lines as phone links, keyboard- and screen-reader-usable; the
professional sees the flag first in the queue and the words highlighted, and
clears a false positive."""

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


async def test_the_banner_from_the_matter_and_live_and_the_professionals_flag(
    server, browser, axe_path
):
    SCREENSHOTS.mkdir(exist_ok=True)
    tag = uuid.uuid4().hex[:6]
    calm, urgent = f"Lugn {tag}", f"Kris {tag}"
    start_resident(server, calm)
    cookie = start_resident(server, urgent, matter="Jag vill inte leva längre")
    resident = await open_chat_page(
        browser,
        server,
        cookie,
        locale="sv-SE",
        viewport={"width": 390, "height": 844},
        bypass_csp=True,
    )
    errors = watch_errors(resident)
    banner = resident.get_by_role("alert").filter(has_text="Ring 112")
    await banner.wait_for()
    assert await banner.get_by_role("link", name="Ring 112").get_attribute("href") == "tel:112"
    assert await banner.locator('a[href="tel:0925250111"]').count() == 1
    await resident.screenshot(path=str(SCREENSHOTS / "crisis-1-banner.png"))
    assert await violations(resident, axe_path) == []
    # Keyboard: the banner can be hidden, and focus goes back to the message box.
    await resident.get_by_role("button", name="Dölj meddelandet").focus()
    await resident.keyboard.press("Enter")
    await banner.wait_for(state="hidden")
    assert await resident.evaluate("document.activeElement.id") == "message-input"

    opened = await dashboard(browser, server, fresh_professional_cookie(server), bypass_csp=True)
    staff = opened.page
    # First in the queue, ahead of the calm resident who came earlier, flagged in words.
    items = staff.locator("#queues li.queue-item")
    await items.filter(has_text=urgent).wait_for()
    first = items.first
    assert urgent in await first.inner_text() and "Kris" in await first.inner_text()
    await staff.get_by_role("button", name=f"Ta: {urgent}").click()
    pane = staff.locator(".pane:not([hidden])")
    await pane.locator(".pane-crisis").wait_for()
    await pane.locator("mark.crisis-words", has_text="vill inte leva").wait_for()

    # Written in the chat: the banner comes back at once, the words are highlighted.
    await resident.get_by_label("Ditt meddelande").fill("Ibland vill jag bara ta livet av mig")
    await resident.keyboard.press("Enter")
    await banner.wait_for()
    await pane.locator(".messages mark.crisis-words", has_text="ta livet av mig").wait_for()
    await staff.screenshot(path=str(SCREENSHOTS / "crisis-2-dashboard.png"))
    assert await violations(staff, axe_path) == []

    # The professional clears it: the flag goes, the highlights with it.
    await pane.get_by_role("button", name="Ta bort krismarkeringen").click()
    await pane.locator(".pane-crisis").wait_for(state="hidden")
    assert await pane.locator("mark.crisis-words").count() == 0
    assert await pane.locator('[data-field="matter"]').inner_text() == "Jag vill inte leva längre"
    assert errors == [] and opened.errors == []
