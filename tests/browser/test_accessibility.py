"""axe-core finds no WCAG 2.1 A/AA violations on the resident's views.

Only this pass creates its context with bypass_csp, so that axe can be
injected; every other browser test runs under the real CSP."""

import uuid

import pytest

pytestmark = [pytest.mark.browser]
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


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
    await page.keyboard.press("Tab")  # skip link
    await page.keyboard.press("Tab")
    while not await page.evaluate(
        "document.activeElement.classList.contains('chatservice-launcher')"
    ):
        await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")
    await page.frame_locator(".chatservice-frame").locator(".chat-with-pro").wait_for()
    focused = await page.evaluate("document.activeElement.tagName")
    assert focused == "IFRAME"  # focus moved into the panel
    await page.keyboard.press("Escape")  # inside the frame: it asks the page to close the panel
    await page.locator("#chatservice-panel").wait_for(state="hidden")
    await page.wait_for_function(
        "document.activeElement.classList.contains('chatservice-launcher')"
    )
