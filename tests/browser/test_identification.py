"""Strong identification in real Chromium, as in the `make run` demo: the
professional presses "Begär identifiering", the resident presses "Identifiera
dig", identifies at the stand-in provider in a new window, closes it and goes
on chatting identified; the professional sees the verified name and shows the
identity code. The stand-in's pages pass axe-core."""

import tempfile
import uuid
from pathlib import Path

import pytest

from tests.browser.conftest import (
    dashboard,
    fresh_professional_cookie,
    open_chat_page,
    start_resident,
    until,
    watch_errors,
)
from tests.browser.test_accessibility import violations

pytestmark = [pytest.mark.browser]
SCREENSHOTS = Path(tempfile.gettempdir()) / "chatservice-screenshots"


async def _take(staff, name: str):
    await staff.get_by_role("button", name=f"Ta: {name}").click()
    pane = staff.locator(".pane:not([hidden])")
    await pane.locator(".pane-title", has_text=name).wait_for()
    return pane


async def test_the_resident_identifies_in_a_new_window_and_the_chat_goes_on(
    server, browser, axe_path
):
    SCREENSHOTS.mkdir(exist_ok=True)
    name = f"Tessa {uuid.uuid4().hex[:6]}"
    cookie = start_resident(server, name)
    # bypass_csp: axe is injected as a script; the pages themselves allow none.
    resident = await open_chat_page(browser, server, cookie, locale="sv-SE", bypass_csp=True)
    resident_errors = watch_errors(resident)
    staff_opened = await dashboard(browser, server, fresh_professional_cookie(server))
    staff = staff_opened.page
    pane = await _take(staff, name)
    await resident.locator("#status-active").wait_for(state="visible")
    assert await resident.locator("#identification").is_hidden()
    assert await pane.locator('[data-field="identification"]').inner_text() == "Inte identifierad."

    await pane.get_by_role("button", name="Begär identifiering").click()
    await pane.locator('[data-field="identification"]', has_text="väntar").wait_for()
    link = resident.get_by_role("link", name="Identifiera dig")
    await link.wait_for()
    assert await link.get_attribute("target") == "_blank"
    assert "nytt fönster" in await resident.locator("#identification-message").inner_text()
    await resident.screenshot(path=str(SCREENSHOTS / "identification-1-resident-asked.png"))

    async with resident.context.expect_page() as opened:
        await link.click()
    provider = await opened.value
    await provider.get_by_role("heading", name="Välj hur du identifierar dig").wait_for()
    await pane.locator('[data-field="identification"]', has_text="identifierar sig").wait_for()
    await provider.screenshot(path=str(SCREENSHOTS / "identification-2-standin.png"))
    assert await violations(provider, axe_path) == []

    await provider.get_by_label("Mobilcertifikat", exact=False).check()
    await provider.get_by_label("Tessa Testilä", exact=False).check()
    await provider.get_by_role("button", name="Identifiera", exact=True).click()
    await provider.get_by_role("heading", name="Du är identifierad").wait_for()
    assert "Tessa Testilä" in await provider.locator("main").inner_text()
    assert await violations(provider, axe_path) == []
    await provider.close()

    await resident.locator("#status-identified").wait_for(state="visible")
    assert "identifierad" in await resident.locator("#identification-message").inner_text()
    await resident.screenshot(path=str(SCREENSHOTS / "identification-3-resident-identified.png"))

    person = pane.locator(".identity-person")
    await person.wait_for(state="visible")
    assert await person.locator('[data-field="person-name"]').inner_text() == "Tessa Testilä"
    assert await person.locator('[data-field="person-level"]').inner_text() == "hög"
    assert await person.locator('[data-field="person-code"]').inner_text() == "Dold"
    await pane.get_by_role("button", name="Visa", exact=True).click()
    await person.locator('[data-field="person-code"]', has_text="010280-952L").wait_for()
    await staff.screenshot(path=str(SCREENSHOTS / "identification-4-staff-identified.png"))

    # The chat goes on after the session key and the CSRF token were renewed.
    await resident.fill("#message-input", "Tack, nu är jag identifierad")
    await resident.press("#message-input", "Enter")
    await pane.locator("li.from-resident", has_text="nu är jag identifierad").wait_for()
    assert resident_errors == [] and staff_opened.errors == []
    # A form of the page rendered before identification still passes the CSRF
    # check (the idle timeout's "end and clear", as the idle timer submits it).
    await resident.locator("#idle-end").evaluate("form => form.requestSubmit()")
    await resident.wait_for_url("**/widget/ended/")


async def test_the_link_opened_in_another_browser_is_refused(server, browser):
    name = f"Other {uuid.uuid4().hex[:6]}"
    cookie = start_resident(server, name)
    resident = await open_chat_page(browser, server, cookie, locale="sv-SE")
    staff = (await dashboard(browser, server, fresh_professional_cookie(server))).page
    pane = await _take(staff, name)
    await pane.get_by_role("button", name="Begär identifiering").click()
    link = resident.get_by_role("link", name="Identifiera dig")
    await link.wait_for()
    href = await link.get_attribute("href")

    stranger = await (await browser.new_context(locale="sv-SE")).new_page()
    response = await stranger.goto(f"{server}{href}")
    assert response.status == 403
    assert "webbläsare" in await stranger.locator("main").inner_text()
    # The resident's own link still works afterwards.
    async with resident.context.expect_page() as opened:
        await link.click()
    provider = await opened.value
    await provider.get_by_role("button", name="Identifiera", exact=True).wait_for()
    await until(
        lambda: pane.locator('[data-field="identification"]', has_text="identifierar sig").count()
    )
