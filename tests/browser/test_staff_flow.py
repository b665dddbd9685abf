"""A professional logs in with TOTP in real Chromium, takes the conversation a
resident page opened, and they talk; the staff pages pass axe-core."""

import uuid

import pytest

from tests.browser.conftest import ADMIN, BERTIL
from tests.browser.test_accessibility import violations
from tests.conftest import totp_now

pytestmark = [pytest.mark.browser]


async def log_in(page, server, account):
    email, password, secret = account
    await page.goto(f"{server}/staff/")
    await page.fill("#id_login", email)
    await page.fill("#id_password", password)
    await page.click("form.account-form button[type=submit]")
    await page.fill("input[name=code]", totp_now(secret))
    await page.click("button[type=submit]")
    await page.locator("#queues-heading").wait_for()


async def test_professional_logs_in_with_totp_takes_a_chat_and_they_talk(server, browser):
    staff = await (await browser.new_context()).new_page()
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

    await pane.locator(".note-form textarea").fill("Intern: kolla FPA")
    await pane.locator(".note-form button").click()
    await pane.locator(".notes li", has_text="Intern: kolla FPA").wait_for()
    assert await resident.get_by_text("Intern: kolla FPA").count() == 0

    await pane.locator(".close-form select").select_option("guidance-given")
    await pane.locator(".close-form button").click()
    await resident.locator("#ended").wait_for(state="visible")
    await tab.wait_for(state="detached")


async def test_staff_pages_have_no_wcag_violations(server, browser, axe_path):
    page = await (await browser.new_context(bypass_csp=True)).new_page()
    await page.goto(f"{server}/accounts/login/")
    found = {"login": await violations(page, axe_path)}
    await log_in(page, server, ADMIN)
    found["dashboard"] = await violations(page, axe_path)
    await page.goto(f"{server}/staff/supervisor/")
    found["supervisor"] = await violations(page, axe_path)
    assert {view: v for view, v in found.items() if v} == {}
