"""The intake's errors, notices and error pages in real Chromium, inside the
chatbot panel under the real CSP (the fixtures are the browser tests')."""

import uuid

import pytest

from tests.browser.conftest import until
from tests.browser.test_accessibility import violations

pytestmark = [pytest.mark.browser]
INTAKE = "/widget/services/health-advice/"


async def open_panel(page, base, prefix=""):
    await page.goto(f"{base}{prefix}/")
    await page.locator(".chatservice-launcher").click()
    frame_element = page.locator(".chatservice-frame")
    frame = page.frame_locator(".chatservice-frame")
    await frame.locator(".chat-with-pro").click()
    await frame.locator(f"a[href$='{INTAKE}']").click()
    await frame.locator("form.intake").wait_for()
    return frame_element, frame


async def focused_id(frame_element) -> str:
    handle = await frame_element.element_handle()
    content = await handle.content_frame()
    return await content.evaluate("document.activeElement && document.activeElement.id")


async def test_an_empty_submit_in_the_panel_moves_focus_to_the_error_summary(server, browser):
    page = await (await browser.new_context()).new_page()
    frame_element, frame = await open_panel(page, server)
    await frame.locator("form.intake button[type=submit]").click()
    summary = frame.locator("#error-summary")
    await summary.wait_for()
    assert await summary.locator("a").count() == 3
    await until(
        lambda: page.evaluate(
            "() => document.querySelector('.chatservice-frame').contentDocument"
            ".activeElement.id === 'error-summary'"
        )
    )
    # each link leads to its field
    await summary.locator("a[href='#id_phone']").click()
    assert await focused_id(frame_element) == "id_phone"


async def test_an_empty_submit_outside_the_panel_focuses_the_summary_too(server, browser):
    page = await (await browser.new_context()).new_page()
    await page.goto(f"{server}{INTAKE}")
    await page.locator("form.intake button[type=submit]").click()
    await page.locator("#error-summary").wait_for()
    await until(lambda: page.evaluate("() => document.activeElement.id === 'error-summary'"))


async def test_the_masking_notice_is_read_first_on_the_chat_page(server, browser):
    page = await (await browser.new_context()).new_page()
    _, frame = await open_panel(page, server, "/fi")
    await frame.locator("#id_name").fill(f"Asukas {uuid.uuid4().hex[:4]}")
    await frame.locator("#id_phone").fill("040 123 4567")
    await frame.locator("#id_matter").fill("Hetuni on 010280-952L")
    await frame.locator("form.intake button[type=submit]").click()
    notice = frame.locator(".page-messages")
    await notice.get_by_text("piilotettiin henkilötunnus").wait_for()
    await until(
        lambda: page.evaluate(
            "() => document.querySelector('.chatservice-frame').contentDocument"
            ".activeElement.classList.contains('page-messages')"
        )
    )


async def test_a_missing_page_inside_the_panel_is_shown_there(server, browser):
    """Under the real CSP: the panel may frame the 404 page, so it shows instead of
    the browser's refusal, in the panel's language, with the way back."""
    page = await (await browser.new_context()).new_page()
    frame_element, frame = await open_panel(page, server, "/fi")
    handle = await frame_element.element_handle()
    content = await handle.content_frame()
    await content.goto(f"{server}/fi/widget/no-such-page/")
    await frame.get_by_role("heading", name="Sivua ei löytynyt").wait_for()
    await frame.get_by_role("link", name="Takaisin chatbotiin").click()
    await frame.locator(".chat-with-pro").wait_for()


@pytest.mark.parametrize("path", ["/fi/no-such-page/", "/widget/no-such-page/"])
async def test_error_pages_have_no_wcag_violations(server, browser, axe_path, path):
    page = await (await browser.new_context(bypass_csp=True)).new_page()
    await page.goto(f"{server}{path}")
    assert await violations(page, axe_path) == []
