"""Call-backs in Chromium: the waiting resident's offer → "call me back instead"
→ the page says what happens, also when a professional calls and marks the
outcome on the dashboard; a closed service's contact form → the confirmation.
axe-clean, and usable from the keyboard.

Its own server (tests.browser.conftest.serving) with two services of its own, so
that neither the clock nor other tests' claims decide whether a service is
closed or a call-back is offered."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.browser.conftest import (
    ROOT,
    dashboard,
    fresh_professional_cookie,
    open_chat_page,
    serving,
    start_resident,
    until,
    watch_errors,
)
from tests.browser.test_accessibility import violations

pytestmark = [pytest.mark.browser]

SETUP = """
from datetime import time, timedelta
from django.utils import timezone
from conversations.models import OpeningHours, Service
from staff.models import User
offering, _ = Service.objects.update_or_create(slug="callback-test", defaults=dict(
    name_sv="Återuppringningstest", name_fi="Takaisinsoittotesti", name_en="Call-back test",
    callback_after_minutes=0, ordering=90))
OpeningHours.objects.filter(service=offering).delete()
OpeningHours.objects.bulk_create(
    OpeningHours(service=offering, weekday=d, opens=time(0), closes=time(23, 59, 59))
    for d in range(7))
closed, _ = Service.objects.update_or_create(slug="contact-test", defaults=dict(
    name_sv="Kontakttest", name_fi="Yhteystesti", name_en="Contact test",
    contact_requests=True, ordering=91))
OpeningHours.objects.filter(service=closed).delete()
later = timezone.localtime() + timedelta(days=2)
OpeningHours.objects.create(service=closed, weekday=later.weekday(), opens=time(8), closes=time(16))
for user in User.objects.filter(email__startswith="browser"):
    offering.professionals.add(user)
    closed.professionals.add(user)
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("callback-server")
    with serving(home) as base:
        env = {
            **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")},
            "DATABASE_URL": f"sqlite:///{home / 'db.sqlite3'}",
            "DJANGO_SETTINGS_MODULE": "chatservice.settings",
        }
        subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", SETUP],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        yield base


def shots() -> Path | None:
    where = os.environ.get("CALLBACK_SCREENSHOTS")
    if where:
        Path(where).mkdir(parents=True, exist_ok=True)
    return Path(where) if where else None


async def tab_to(page, selector: str, limit: int = 40) -> None:
    """Press Tab until `selector` has the focus (bounded: a control out of the tab
    order fails here)."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await page.evaluate("(s) => document.activeElement?.matches(s)", selector):
            return
    pytest.fail(f"{selector} was not reached in {limit} Tab presses")


async def test_waiting_resident_asks_to_be_called_back_and_hears_each_step(
    server, browser, axe_path
):
    name = f"Callback {uuid.uuid4().hex[:6]}"
    cookie = start_resident(server, name, service="callback-test")
    resident = await open_chat_page(browser, server, cookie, bypass_csp=True)
    errors = watch_errors(resident)
    offer = resident.locator("#callback-offer")
    await offer.wait_for()
    text = await resident.locator("#callback").inner_text()
    assert "Ring upp mig i stället" in text and "slutar på 567" in text
    assert "123 4567" not in await resident.content()  # masked but for the last digits
    assert await violations(resident, axe_path) == []
    if where := shots():
        await resident.screenshot(path=where / "resident-offer.png")

    # By keyboard: Tab to the button, Enter; the answer takes the focus and is read out.
    await tab_to(resident, "#callback-form button")
    await resident.keyboard.press("Enter")
    message = resident.locator("#callback-message")
    await until(lambda: message.evaluate("m => m.textContent.includes('Vi ringer dig')"))
    assert await offer.is_hidden()
    assert await resident.evaluate("document.activeElement.id") == "callback-message"
    assert await message.get_attribute("role") == "status"
    assert await violations(resident, axe_path) == []
    if where := shots():
        await resident.screenshot(path=where / "resident-requested.png")

    # A professional sees it marked in the queue, with the number to call.
    staff = await dashboard(browser, server, fresh_professional_cookie(server))
    item = staff.page.locator("#queues li.queue-item", has_text=name)
    await item.locator(".callback-flag", has_text="Återuppringning").wait_for()
    tel = item.locator('a[href="tel:+358401234567"]')
    assert await tel.inner_text() == "Ring +358401234567"
    await item.get_by_role("button", name=f"Ta: {name}").click()
    pane = staff.page.locator(".pane:not([hidden])")
    box = pane.locator(".callback-box")
    await box.wait_for()
    assert await box.locator('a[href="tel:+358401234567"]').count() == 1
    await until(lambda: message.evaluate("m => m.textContent.includes('ringer dig nu')"))
    if where := shots():
        await staff.page.screenshot(path=where / "dashboard-callback.png")

    # "No answer", by keyboard: back in the queue, and the page says we try again.
    await box.get_by_role("button", name="Inget svar").focus()
    await staff.page.keyboard.press("Enter")
    await until(lambda: message.evaluate("m => m.textContent.includes('Vi försökte ringa dig')"))
    await item.locator(".callback-mark", has_text="Samtal hittills: 1").wait_for()
    assert await resident.locator("#status-waiting").is_visible()

    # Called again and reached: done.
    await item.get_by_role("button", name=f"Ta: {name}").click()
    await staff.page.locator(".pane:not([hidden]) .callback-box").wait_for()
    await (
        staff.page.locator(".pane:not([hidden]) .callback-box")
        .get_by_role("button", name="Nådde")
        .click()
    )
    await until(lambda: message.evaluate("m => m.textContent.startsWith('Klart')"))
    await resident.locator("#ended").wait_for()
    assert errors == [] and staff.errors == []


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_a_closed_service_takes_a_contact_request(server, browser, axe_path, lang):
    prefix = "" if lang == "sv" else f"/{lang}"
    page = await (await browser.new_context(bypass_csp=True)).new_page()
    errors = watch_errors(page)
    await page.goto(f"{server}{prefix}/widget/services/contact-test/")
    form = page.locator("form.contact-form")
    await form.wait_for()
    assert await violations(page, axe_path) == []

    # An identity code for a phone number: refused, and the errors take the focus.
    await page.fill("#id_contact-name", "Testi Asukas")
    await page.fill("#id_contact-phone", "010280-952L")
    await page.fill("#id_contact-matter", "Fråga om rådgivning")
    await page.locator("#id_contact-matter").focus()
    await tab_to(page, "form.contact-form button[type=submit]", limit=3)
    await page.keyboard.press("Enter")
    summary = page.locator("#error-summary")
    await summary.wait_for()
    await until(lambda: page.evaluate("document.activeElement.id === 'error-summary'"))
    assert await violations(page, axe_path) == []
    if where := shots():
        await page.screenshot(path=where / f"contact-error-{lang}.png")

    await page.fill("#id_contact-phone", "040 123 4567")
    await page.locator("form.contact-form button[type=submit]").click()
    sent = page.locator("#contact-sent")
    await sent.wait_for()
    expected = {"sv": "Tack. Kontakttest öppnar", "en": "Thank you. Contact test opens"}[lang]
    assert expected in await sent.inner_text()
    assert await violations(page, axe_path) == []
    if where := shots():
        await page.screenshot(path=where / f"contact-sent-{lang}.png")
    assert errors == []
