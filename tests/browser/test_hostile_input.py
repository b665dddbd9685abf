"""Hostile text renders inert in both interfaces: a resident whose name, matter
and messages carry HTML and script, and a professional's note and message with
the same; file names on both sides (as the resident's page shows them while
they upload, and after the server cleaned them); the end screen's e-mail field
and the survey's comment. In real Chromium: no script runs (no dialog, no
error, no global set), no element is injected, and the text is shown as text."""

import http.cookiejar
import urllib.parse
import urllib.request
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
        "img[onerror]",
        "svg[onload]",
        "[onmouseover]",
        "[onfocus]",
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


def start_with_matter(server: str, name: str, matter: str) -> str:
    """The intake form as a browser posts it, with the matter given (conftest's
    start_resident has a fixed one); the session cookie."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    url = f"{server}/widget/services/health-advice/"
    opener.open(url, timeout=10)
    token = next(c.value for c in jar if c.name == "csrftoken")
    fields = {"name": name, "phone": "040 123 4567", "matter": matter}
    data = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": token}).encode()
    response = opener.open(
        urllib.request.Request(url, data=data, headers={"Referer": url}), timeout=10
    )
    assert response.url.endswith("/widget/chat/")
    return f"sessionid={next(c.value for c in jar if c.name == 'sessionid')}"


# File names as a browser sends them: the page shows them while they upload;
# the server then refuses or cleans them (attachments.validation.clean_name).
FILE_NAMES = [
    '<img src=x onerror="window.__pwned=6">.txt',
    "x' onmouseover='window.__pwned=7' y.txt",
    "&lt;svg onload=window.__pwned=8&gt;.txt",
]


async def test_file_names_end_screen_and_survey_render_as_text(server, browser):
    from tests.browser.test_attachments import _identify

    tag = uuid.uuid4().hex[:6]
    name = f"{PAYLOADS[1]} {tag}"
    cookie = start_with_matter(server, name, PAYLOADS[2])
    resident = await open_chat_page(browser, server, cookie, locale="sv-SE")
    dialogs: list[str] = []
    resident.on("dialog", lambda d: dialogs.append(d.message))
    resident_errors = watch_errors(resident)
    opened = await dashboard(browser, server, fresh_professional_cookie(server))
    staff = opened.page
    staff.on("dialog", lambda d: dialogs.append(d.message))

    await staff.get_by_role("button", name=f"Ta: {name}").click()
    pane = staff.locator(".pane:not([hidden])")
    await pane.locator(".pane-title", has_text=tag).wait_for()
    assert await pane.locator(".pane-title").inner_text() == name
    assert PAYLOADS[2] in await pane.inner_text()  # the matter, as text
    await resident.locator("#status-active").wait_for(state="visible")
    await _identify(resident, pane)
    await pane.locator(".attach-button[aria-disabled='false']").wait_for()

    for index, file_name in enumerate(FILE_NAMES):
        body = f"hello {index}\n".encode()
        await resident.locator("#attach-input").set_input_files(
            files=[{"name": file_name, "mimeType": "text/plain", "buffer": body}]
        )
        await resident.locator("li.message.has-attachment").nth(index).wait_for()
        await pane.locator("li.message.has-attachment").nth(index).wait_for()
    await pane.locator(".attach-input").set_input_files(
        files=[{"name": FILE_NAMES[0], "mimeType": "text/plain", "buffer": b"from staff\n"}]
    )
    count = len(FILE_NAMES) + 1
    await resident.locator("li.message.has-attachment").nth(count - 1).wait_for()
    await pane.locator("li.message.has-attachment").nth(count - 1).wait_for()
    await nothing_ran(resident)
    await nothing_ran(staff)

    # The professional closes; the resident's end screen.
    close = pane.locator(".close-form")
    await close.locator("select[name=reason]").select_option(index=1)
    await close.locator("button[type=submit]").click()
    await resident.locator("#after-chat #transcript-form").wait_for()
    # An invalid address comes back in the field, as text.
    await resident.fill("#transcript-email", PAYLOADS[2])
    await resident.click("#transcript-form button[type=submit]")
    await resident.locator("#transcript-error").wait_for()
    assert await resident.locator("#transcript-email").input_value() == PAYLOADS[2]
    await nothing_ran(resident)

    # The survey's comment, answered and thanked for.
    await resident.click("#survey-link")
    await resident.locator("form.survey").wait_for()
    await resident.check("#id_satisfaction_3")
    await resident.fill("textarea[name=comment]", PAYLOADS[0] + PAYLOADS[1])
    await resident.click("form.survey button[type=submit]")  # help question left out
    await resident.locator("#error-summary").wait_for()
    assert await resident.locator("textarea[name=comment]").input_value() == (
        PAYLOADS[0] + PAYLOADS[1]
    )
    await nothing_ran(resident)
    await resident.check("#id_help_received_0")
    await resident.click("form.survey button[type=submit]")
    await resident.get_by_role("heading", name="Tack för dina svar!").wait_for()

    await nothing_ran(resident)
    await nothing_ran(staff)
    assert dialogs == []
    assert resident_errors == [] and opened.errors == []
