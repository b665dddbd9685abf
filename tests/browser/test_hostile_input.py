"""Hostile text renders inert in both interfaces: a resident whose name, matter
and messages carry HTML and script, and a professional's note and message with
the same. In real Chromium: no script runs (no dialog, no error, no global set),
no element is injected, and the text is shown as text."""

import uuid

import pytest

from tests.browser.conftest import (
    dashboard,
    fresh_professional_cookie,
    open_chat_page,
    start_resident,
    watch_errors,
)

pytestmark = [pytest.mark.browser]

PAYLOADS = [
    '<img src=x onerror="window.__pwned=1">',
    "<script>window.__pwned=2</script>",
    '"><svg onload="window.__pwned=3">',
    "javascript:window.__pwned=4",
    '<a href="javascript:window.__pwned=5">klick</a>',
]


async def nothing_ran(page) -> None:
    assert await page.evaluate("() => window.__pwned === undefined")
    for selector in (
        "img[src='x']",
        "svg[onload]",
        "a[href^='javascript']",
        "script:not([src]):not([type='application/json'])",
    ):
        assert await page.locator(selector).count() == 0, selector


async def test_html_and_script_in_every_field_render_as_text(server, browser):
    tag = uuid.uuid4().hex[:6]
    name = f"{PAYLOADS[0]} {tag}"
    cookie = start_resident(server, name)
    resident = await open_chat_page(browser, server, cookie, locale="sv-SE")
    dialogs: list[str] = []
    resident.on("dialog", lambda d: dialogs.append(d.message))
    resident_errors = watch_errors(resident)
    opened = await dashboard(browser, server, fresh_professional_cookie(server))
    staff = opened.page
    staff.on("dialog", lambda d: dialogs.append(d.message))

    take = staff.get_by_role("button", name=f"Ta: {name}")
    await take.wait_for()
    await take.click()
    pane = staff.locator(".pane:not([hidden])")
    await pane.locator(".pane-title").wait_for()
    assert await pane.locator(".pane-title").inner_text() == name

    for payload in PAYLOADS:
        await resident.fill("#message-input", payload)
        await resident.press("#message-input", "Enter")
        await pane.locator("li.from-resident .body", has_text=payload).wait_for()
        await pane.locator("textarea[name=body]").first.fill(payload)
        await pane.locator("form.composer button[type=submit]").click()
        await resident.locator("li.from-staff .body", has_text=payload).wait_for()
    note = pane.locator(".note-form textarea")
    await note.fill(PAYLOADS[2])
    await pane.locator(".note-form button[type=submit]").click()
    await pane.locator(".notes li .body", has_text=PAYLOADS[2]).wait_for()

    await nothing_ran(resident)
    await nothing_ran(staff)
    assert dialogs == []
    assert resident_errors == [] and opened.errors == []
