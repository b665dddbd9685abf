"""axe-core finds no WCAG 2.1 A/AA violations on the resident's views.

Only this pass creates its context with bypass_csp, so that axe can be
injected; every other browser test runs under the real CSP."""

import uuid

import pytest

from tests.browser.conftest import (
    dashboard,
    fresh_professional_cookie,
    open_chat_page,
    start_resident,
    until,
)

pytestmark = [pytest.mark.browser]
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# The demo front page has a skip link, a handful of links and then the launcher.
MAX_TABS_TO_LAUNCHER = 15


async def violations(page_or_frame, axe_path) -> list[dict]:
    await page_or_frame.add_script_tag(path=str(axe_path))
    result = await page_or_frame.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: tags})).violations", RULES
    )
    return [{"id": v["id"], "nodes": [n["target"] for n in v["nodes"]]} for v in result]


@pytest.mark.parametrize("lang", ["sv", "fi", "en"])
async def test_resident_views_have_no_wcag_violations(server, browser, axe_path, lang):
    prefix = "" if lang == "sv" else f"/{lang}"
    context = await browser.new_context(bypass_csp=True)
    page = await context.new_page()
    found = {}

    await page.goto(f"{server}{prefix}/")
    found["front page"] = await violations(page, axe_path)
    await page.click(".chatservice-launcher")
    frame = page.frame_locator(".chatservice-frame")
    await frame.locator(".chat-with-pro").wait_for()
    found["front page with the chatbot panel"] = await violations(page, axe_path)

    for path, label in [("/widget/", "chatbot menu"), ("/widget/services/", "service list")]:
        await page.goto(f"{server}{prefix}{path}")
        found[label] = await violations(page, axe_path)
    await page.goto(f"{server}{prefix}/widget/services/health-advice/")
    found["intake"] = await violations(page, axe_path)
    await page.click("form.intake button[type=submit]")  # empty: shows the errors
    found["intake with errors"] = await violations(page, axe_path)
    await page.fill("#id_name", f"A11y {uuid.uuid4().hex[:4]}")
    await page.fill("#id_phone", "0401234567")
    await page.fill("#id_matter", "Test")
    await page.click("form.intake button[type=submit]")
    await page.locator("#status-waiting").wait_for()
    found["waiting"] = await violations(page, axe_path)
    await page.fill("#message-input", "Hej")
    await page.press("#message-input", "Enter")
    await page.locator("li.from-resident").wait_for()
    found["chat"] = await violations(page, axe_path)
    await page.goto(f"{server}{prefix}/widget/end/")
    found["end and clear"] = await violations(page, axe_path)

    assert {view: v for view, v in found.items() if v} == {}


async def test_panel_opens_and_closes_by_keyboard(server, browser):
    page = await browser.new_page()
    await page.goto(f"{server}/")
    # The launcher is reachable by Tab, within the page's few links (not after
    # an endless walk: the loop is bounded so that a launcher out of the tab
    # order fails here).
    for _ in range(MAX_TABS_TO_LAUNCHER):
        await page.keyboard.press("Tab")
        if await page.evaluate("document.activeElement.classList.contains('chatservice-launcher')"):
            break
    else:
        pytest.fail(f"the chatbot launcher was not reached in {MAX_TABS_TO_LAUNCHER} Tab presses")
    await page.keyboard.press("Enter")
    panel = page.frame_locator(".chatservice-frame")
    await panel.locator(".chat-with-pro").wait_for()
    focused = await page.evaluate("document.activeElement.tagName")
    assert focused == "IFRAME"  # focus moved into the panel
    # ... onto its heading, once the panel's page has loaded (and its script listens).
    await until(lambda: panel.locator("main h1").evaluate("h => document.activeElement === h"))
    await page.keyboard.press("Escape")  # inside the frame: it asks the page to close the panel
    await page.locator("#chatservice-panel").wait_for(state="hidden")
    await until(
        lambda: page.evaluate("document.activeElement.classList.contains('chatservice-launcher')")
    )


async def test_the_dashboard_with_a_chat_open_has_no_wcag_violations(server, browser, axe_path):
    """As a professional (not an admin without services), with a chat open, its
    messages, notes and the resident's details: the whole work view is scanned."""
    opened = await dashboard(browser, server, fresh_professional_cookie(server), bypass_csp=True)
    page = opened.page
    name = f"A11y {uuid.uuid4().hex[:4]}"
    waiting_name = f"A11y {uuid.uuid4().hex[:4]}"
    resident = start_resident(server, name)
    start_resident(server, waiting_name)  # and one left waiting in the queue
    await page.get_by_role("button", name=f"Ta: {waiting_name}").wait_for()
    chat_page = await open_chat_page(browser, server, resident)
    await page.get_by_role("button", name=f"Ta: {name}").click()
    pane = page.locator(".pane:not([hidden])")
    await chat_page.locator("#status-active").wait_for()
    await chat_page.fill("#message-input", "Hej, jag har en fråga")
    await chat_page.press("#message-input", "Enter")
    await pane.locator("li.from-resident").wait_for()
    await pane.locator(".composer textarea").fill("Hej! Vad gäller det?")
    await pane.locator(".composer textarea").press("Control+Enter")
    await pane.locator("li.from-staff[data-state='delivered']").wait_for()
    await pane.locator(".note-form textarea").fill("Intern anteckning")
    await pane.locator(".note-form button").click()
    await pane.locator(".notes li").wait_for()
    await pane.locator(".transfer-box summary").click()
    found = {"dashboard with a chat open": await violations(page, axe_path)}

    await chat_page.close()  # the resident is gone: the composer says so
    await pane.locator(".composer-warning").wait_for()
    found["dashboard, resident not connected"] = await violations(page, axe_path)
    assert {view: v for view, v in found.items() if v} == {}
    assert opened.errors == []
