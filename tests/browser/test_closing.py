"""After the professional closes: the resident's end screen, the transcript
e-mail form, the survey; the supervisor's report. Under the real CSP (no
script errors), then scanned with axe-core (WCAG 2.1 A/AA). Screenshots go to
$SCREENSHOT_DIR when it is set."""

import os
import time
import uuid
from pathlib import Path

import pytest

from tests.browser.conftest import (
    BERTIL,
    login_cookie,
    open_chat_page,
    start_resident,
    until,
    watch_errors,
)
from tests.browser.test_accessibility import violations

pytestmark = [pytest.mark.browser]
SHOTS = os.environ.get("SCREENSHOT_DIR")


async def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


async def served_and_closed(browser, server, professional, **context_options):
    name = f"Closing {uuid.uuid4().hex[:6]}"
    cookie = start_resident(server, name)
    page = await open_chat_page(
        browser, server, cookie, viewport={"width": 420, "height": 900}, **context_options
    )
    errors = watch_errors(page)
    conversation = await professional.claim_by_name(name)
    await page.locator("#status-active").wait_for()
    await page.fill("#message-input", "Hej, jag har en fråga om vaccin")
    await page.press("#message-input", "Enter")
    await page.locator("li.from-resident").wait_for()
    await professional.send(
        {"type": "message.send", "conversation": conversation, "client_id": "c1", "body": "Hej!"}
    )
    await page.locator("li.from-staff").wait_for()
    await professional.send(
        {"type": "conversation.close", "conversation": conversation, "reason": "guidance-given"}
    )
    professional.claimed.remove(conversation)
    await page.locator("#after-chat #transcript-form").wait_for()
    return page, errors


async def test_end_screen_transcript_and_survey_under_the_real_csp(server, browser, professional):
    page, errors = await served_and_closed(browser, server, professional)
    ended = page.locator("#ended")
    assert await ended.is_visible()
    assert "Skicka samtalet till min e-post" in await ended.inner_text()
    await shot(page, "end-screen")

    await page.fill("#transcript-email", "not an address")
    await page.click("#transcript-form button[type=submit]")
    await page.locator("#transcript-error").wait_for()
    await until(lambda: page.evaluate("document.activeElement.id === 'transcript-error'"))

    await page.fill("#transcript-email", "resident@example.net")
    await page.click("#transcript-form button[type=submit]")
    await page.locator("#transcript-queued").wait_for()
    await shot(page, "end-screen-queued")

    await page.click("#survey-link")
    await page.locator("form.survey").wait_for()
    await shot(page, "survey")
    await page.click("form.survey button[type=submit]")  # nothing chosen: told what is missing
    await page.locator("#error-summary").wait_for()
    await page.check("#id_satisfaction_3")  # the fourth: 4
    await page.check("#id_help_received_0")
    await page.fill("textarea[name=comment]", "Snabbt och vänligt.")
    await page.click("form.survey button[type=submit]")
    await page.get_by_role("heading", name="Tack för dina svar!").wait_for()
    assert errors == []


def fresh_totp_window() -> None:
    """A TOTP code is good for one login: start in a window no other login used."""
    time.sleep(30.5 - time.time() % 30)


async def test_closing_pages_have_no_wcag_violations(server, browser, professional, axe_path):
    page, _errors = await served_and_closed(browser, server, professional, bypass_csp=True)
    found = {"end screen": await violations(page, axe_path)}
    await page.fill("#transcript-email", "x")
    await page.click("#transcript-form button[type=submit]")
    await page.locator("#transcript-error").wait_for()
    found["end screen with an error"] = await violations(page, axe_path)
    await page.click("#survey-link")
    await page.locator("form.survey").wait_for()
    found["survey"] = await violations(page, axe_path)
    await page.click("form.survey button[type=submit]")
    await page.locator("#error-summary").wait_for()
    found["survey with errors"] = await violations(page, axe_path)
    await shot(page, "survey-errors")

    fresh_totp_window()
    cookie = login_cookie(server, *BERTIL)
    context = await browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    name, value = cookie.split("=", 1)
    await context.add_cookies([{"name": name, "value": value, "url": server}])
    report = await context.new_page()
    await report.goto(f"{server}/staff/supervisor/reports/")
    await report.locator("svg[role=img]").first.wait_for()
    found["report"] = await violations(report, axe_path)
    await shot(report, "report")
    assert {view: v for view, v in found.items() if v} == {}
