"""A professional logs in with TOTP in real Chromium, takes the conversation a
resident page opened, and they talk; the dashboard keeps its composer in view,
says when the resident is gone, clears its status line and warns before the
staff session ends. The staff pages pass axe-core."""

import tempfile
import uuid
from pathlib import Path

import pytest

from tests.browser.conftest import (
    ADMIN,
    BERTIL,
    dashboard,
    fresh_professional_cookie,
    open_chat_page,
    resident_leaves,
    start_resident,
    until,
    watch_errors,
)
from tests.browser.test_accessibility import violations
from tests.conftest import totp_now

pytestmark = [pytest.mark.browser]
# Looked at by people reviewing the layout; outside the repository.
SCREENSHOTS = Path(tempfile.gettempdir()) / "chatservice-screenshots"


async def log_in(page, server, account):
    email, password, secret = account
    await page.goto(f"{server}/staff/")
    await page.fill("#id_login", email)
    await page.fill("#id_password", password)
    await page.click("form.account-form button[type=submit]")
    await page.fill("input[name=code]", totp_now(secret))
    await page.locator("main button[type=submit]").first.click()
    await page.locator("#queues-heading").wait_for()


async def inside_viewport(locator) -> bool:
    box = await locator.bounding_box()
    size = locator.page.viewport_size
    return bool(
        box and box["y"] >= 0 and box["y"] + box["height"] <= size["height"] and box["x"] >= 0
    )


async def test_professional_logs_in_with_totp_takes_a_chat_and_they_talk(server, browser):
    staff = await (
        await browser.new_context(locale="sv-SE", viewport={"width": 1280, "height": 800})
    ).new_page()
    errors = watch_errors(staff)
    await log_in(staff, server, BERTIL)
    await staff.locator("#connection-banner").wait_for(state="hidden")

    resident = await (await browser.new_context()).new_page()
    name = f"Resident {uuid.uuid4().hex[:6]}"
    await resident.goto(f"{server}/widget/services/social-services/")
    await resident.fill("#id_name", name)
    await resident.fill("#id_phone", "040 765 4321")
    await resident.fill("#id_matter", "Fråga om bostadsbidrag")
    await resident.click("form.intake button[type=submit]")
    await resident.locator("#status-waiting").wait_for()

    take = staff.get_by_role("button", name=f"Ta: {name}")
    await take.wait_for()  # arrived live, without reloading
    await take.click()
    tab = staff.get_by_role("tab", name=name)
    await tab.wait_for()
    assert await tab.get_attribute("aria-selected") == "true"
    await resident.locator("#status-active").wait_for(state="visible")

    await resident.fill("#message-input", "Hej, jag undrar över bostadsbidrag")
    await resident.press("#message-input", "Enter")
    pane = staff.locator(".pane:not([hidden])")
    await pane.locator("li.from-resident", has_text="bostadsbidrag").wait_for()
    assert "+358407654321" in await pane.locator('[data-field="phone"]').inner_text()

    composer = pane.locator(".composer textarea")
    await composer.fill("/hello")
    await composer.press("Tab")  # the ready reply, editable before sending
    assert "Bertil" in await composer.input_value()
    await composer.fill("Hej! Vilken kommun bor du i?")
    await composer.press("Control+Enter")
    await resident.locator("li.from-staff", has_text="Vilken kommun").wait_for()
    await pane.locator("li.from-staff[data-state='delivered']").wait_for()

    # A long conversation: the newest message and the composer stay in view.
    for i in range(12):
        await resident.fill("#message-input", f"Rad {i}: en lite längre fråga om bostadsbidraget")
        await resident.press("#message-input", "Enter")
    newest = pane.locator("li.from-resident", has_text="Rad 11:")
    await newest.wait_for()
    messages = pane.locator(".messages")
    await until(lambda: messages.evaluate("l => l.scrollHeight - l.scrollTop - l.clientHeight < 2"))
    assert await inside_viewport(newest)
    assert await inside_viewport(composer)
    assert await inside_viewport(pane.locator(".composer button[type=submit]"))
    SCREENSHOTS.mkdir(exist_ok=True)
    await pane.locator(".note-form textarea").fill("Intern: kolla FPA")
    await pane.locator(".note-form button").click()
    await pane.locator(".notes li", has_text="Intern: kolla FPA").wait_for()
    assert await resident.get_by_text("Intern: kolla FPA").count() == 0
    await staff.screenshot(path=SCREENSHOTS / "dashboard-1280x800.png")
    await staff.set_viewport_size({"width": 1920, "height": 1080})
    assert await inside_viewport(composer)
    await staff.screenshot(path=SCREENSHOTS / "dashboard-1920x1080.png")

    await pane.locator(".close-form select").select_option("guidance-given")
    await pane.locator(".close-form button").click()
    await resident.locator("#ended").wait_for(state="visible")
    await tab.wait_for(state="detached")
    assert errors == []


async def test_the_composer_says_when_the_resident_may_not_see_messages(server, browser):
    opened = await dashboard(browser, server, fresh_professional_cookie(server))
    page = opened.page
    name = f"Resident {uuid.uuid4().hex[:6]}"
    resident = start_resident(server, name)
    chat_page = await open_chat_page(browser, server, resident)
    await page.get_by_role("button", name=f"Ta: {name}").click()
    pane = page.locator(".pane:not([hidden])")
    await chat_page.locator("#status-active").wait_for()
    warning = pane.locator(".composer-warning")
    assert await warning.is_hidden()

    await chat_page.close()  # the tab closed: no socket left
    await warning.get_by_text("inte ansluten").wait_for()
    textarea = pane.locator(".composer textarea")
    assert (await warning.get_attribute("id")) in await textarea.get_attribute("aria-describedby")
    assert "Inte ansluten" in await page.get_by_role("tab", name=name).inner_text()

    resident_leaves(server, resident)
    await warning.get_by_text("har lämnat").wait_for()
    await pane.locator(".pane-left").wait_for(state="visible")
    assert "Lämnade" in await page.get_by_role("tab", name=name).inner_text()
    await pane.locator(".close-form select").select_option("no-answer")
    await pane.locator(".close-form button").click()
    assert opened.errors == []


async def test_the_status_line_clears_itself(server, browser):
    page = (await dashboard(browser, server, fresh_professional_cookie(server), clock=True)).page
    status = page.locator("#announcer")
    start_resident(server, f"Resident {uuid.uuid4().hex[:6]}")
    await status.get_by_text("Nytt samtal i kön").wait_for()
    await page.clock.fast_forward("00:05")
    assert "Nytt samtal" in await status.inner_text()  # long enough to read
    await page.clock.fast_forward("00:06")
    await until(lambda: status.evaluate("e => e.textContent === ''"))


async def hide(page) -> None:
    """The dashboard goes behind another window."""
    await page.evaluate(
        """() => {
          Object.defineProperty(document, "visibilityState", {value: "hidden", configurable: true});
          document.dispatchEvent(new Event("visibilitychange"));
        }"""
    )


async def test_the_staff_session_warns_before_it_ends(server, browser):
    opened = await dashboard(browser, server, fresh_professional_cookie(server), clock=True)
    page, watch = opened.page, opened.watch
    dialog = page.get_by_role("alertdialog", name="Din session håller på att ta slut")

    # An open, visible dashboard with a live socket is in use: no warning, even
    # long past STAFF_IDLE_SECONDS (30 min) without input.
    for _ in range(6):
        await watch.fast_forward(page, "10:00")
    assert await dialog.is_hidden()
    assert len(watch.keepalives) == 6
    assert all(h.get("x-chatservice-unattended") == "1" for h in watch.keepalives)

    # Hidden behind another window it is not in use: a warning two minutes before the end.
    await hide(page)
    await watch.fast_forward(page, "27:00")
    assert len(watch.keepalives) == 6 and await dialog.is_hidden()
    await watch.fast_forward(page, "01:30")
    await dialog.wait_for()
    assert "Tid kvar: 1:" in await dialog.inner_text()
    await dialog.get_by_role("button", name="Fortsätt arbeta").click()
    await dialog.wait_for(state="hidden")
    await watch.settled()
    assert "x-chatservice-unattended" not in watch.keepalives[-1]  # the professional's own act

    # Ignored, the warning ends the session: logged out, no resident data left on screen.
    await watch.fast_forward(page, "28:30")
    await dialog.wait_for()
    async with page.expect_response(lambda r: "/accounts/logout/" in r.url):
        await page.clock.fast_forward("02:00")
    await page.wait_for_url(lambda url: "/accounts/login/" in url)  # the staff login
    await page.goto(f"{server}/staff/")  # and the dashboard asks for it again
    await page.locator("#id_login").wait_for()


async def test_an_unattended_dashboard_counts_as_in_use_only_up_to_a_maximum(server, browser):
    opened = await dashboard(browser, server, fresh_professional_cookie(server), clock=True)
    page, watch = opened.page, opened.watch
    dialog = page.get_by_role("alertdialog")
    # Visible and connected but untouched: in use until STAFF_MAX_UNATTENDED_SECONDS
    # (4 h), then the idle timeout runs and warns.
    minutes = 0
    while True:
        sent = len(watch.keepalives)
        await watch.fast_forward(page, "10:00")
        minutes += 10
        if len(watch.keepalives) == sent:
            break
        assert minutes < 300, "kept alive past the maximum"
    assert minutes >= 4 * 60
    assert await dialog.is_hidden()
    while await dialog.is_hidden():
        await watch.fast_forward(page, "01:00")
        minutes += 1
        assert minutes < 4 * 60 + 40, "never warned"


async def test_staff_pages_have_no_wcag_violations(server, browser, axe_path):
    page = await (await browser.new_context(bypass_csp=True, locale="sv-SE")).new_page()
    await page.goto(f"{server}/accounts/login/")
    found = {"login": await violations(page, axe_path)}
    await log_in(page, server, ADMIN)
    found["dashboard without services"] = await violations(page, axe_path)
    await page.goto(f"{server}/staff/supervisor/")
    found["supervisor"] = await violations(page, axe_path)
    assert {view: v for view, v in found.items() if v} == {}
