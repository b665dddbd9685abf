"""The resident's side of "text me when it's my turn" in real Chromium: the tick
box on the intake by keyboard, with its label and note read together (axe), and
the text message the `make run` configuration prints (console backend, number
masked) when a professional claims after the resident's page closed."""

import uuid

import pytest

from tests.browser.conftest import until
from tests.browser.test_accessibility import violations

pytestmark = [pytest.mark.browser]
INTAKE = "/widget/services/health-advice/"
LABELS = {
    "": "Skicka ett sms till mig när en yrkesperson är redo",
    "/fi": "Lähetä minulle tekstiviesti, kun ammattilainen on valmis",
    "/en": "Send me a text message when a professional is ready",
}


async def active_id(page) -> str:
    return await page.evaluate("document.activeElement && document.activeElement.id")


def daphne_log(tmp_path_factory) -> str:
    # The session's server (tests/browser/conftest.py `server`) logs to server*/daphne.log.
    logs = sorted(tmp_path_factory.getbasetemp().glob("server[0-9]*/daphne.log"))
    assert logs, "the server's log"
    return "\n".join(p.read_text(errors="replace") for p in logs)


@pytest.mark.parametrize("prefix", list(LABELS))
async def test_the_tick_box_has_its_label_and_note_and_no_wcag_violations(
    server, browser, axe_path, prefix
):
    context = await browser.new_context(bypass_csp=True)  # axe is injected
    page = await context.new_page()
    await page.goto(f"{server}{prefix}{INTAKE}")
    box = page.get_by_role("checkbox", name=LABELS[prefix])
    assert not await box.is_checked()
    description = await box.evaluate(
        "el => document.getElementById(el.getAttribute('aria-describedby')).textContent"
    )
    assert description.strip()
    assert await violations(page, axe_path) == []
    await context.close()


async def test_tick_by_keyboard_then_the_claim_after_the_page_closed_prints_one_masked_text(
    server, browser, professional, tmp_path_factory
):
    name = f"Sms {uuid.uuid4().hex[:6]}"
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(f"{server}{INTAKE}")
    await page.locator("#id_name").focus()
    await page.keyboard.type(name)
    await page.keyboard.press("Tab")
    await page.keyboard.type("040 123 4567")
    await page.keyboard.press("Tab")
    await page.keyboard.type("Fråga om vaccin")
    await page.keyboard.press("Tab")
    assert await active_id(page) == "id_sms_wanted"
    await page.keyboard.press("Space")
    assert await page.locator("#id_sms_wanted").is_checked()
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/widget/chat/")

    created = await professional.recv("conversation.changed", change="created")
    while created["conversation"]["resident_name"] != name:
        created = await professional.recv("conversation.changed", change="created")
    conversation = created["conversation"]["id"]
    await context.close()  # the resident's page is gone (the phone went to sleep)
    await professional.recv("conversation.changed", change="resident_disconnected", timeout=15)
    await professional.send({"type": "conversation.claim", "conversation": conversation})
    await professional.recv("conversation.changed", change="claimed")
    professional.claimed.append(conversation)

    async def printed() -> bool:
        return "en yrkesperson är redo att chatta med dig" in daphne_log(tmp_path_factory)

    await until(printed)
    log = daphne_log(tmp_path_factory)
    assert "+358 *** **67" in log
    assert (
        "Hälsorådgivning: en yrkesperson är redo att chatta med dig. "
        "Tillbaka till chatten: http://127.0.0.1:8000/widget/chat/"
    ) in log
    assert log.count("en yrkesperson är redo att chatta med dig") == 1
    assert "401234567" not in log  # the number, in any format, never in the log
    assert "123 4567" not in log
