"""Language-aware routing on the dashboard, in a real browser: the professional
ticks their languages on their own page; their queue then puts residents of those
languages first and marks the others in words."""

import uuid

import pytest

from tests.browser.conftest import dashboard, fresh_professional_cookie, start_resident

pytestmark = [pytest.mark.browser]


async def test_a_professional_declares_languages_and_the_queue_follows(server, browser):
    tag = uuid.uuid4().hex[:6]
    swede, finn = f"Svensk {tag}", f"Suomalainen {tag}"
    opened = await dashboard(browser, server, fresh_professional_cookie(server))
    staff = opened.page
    await staff.get_by_role("link", name="Mina språk").click()
    boxes = staff.get_by_role("group", name="Språk jag betjänar på")
    await boxes.get_by_label("finska").check()
    await staff.get_by_role("button", name="Spara").click()
    await staff.get_by_text("Dina språk har sparats.").wait_for()
    assert await boxes.get_by_label("finska").is_checked()
    try:
        await staff.get_by_role("link", name="Översikt").click()
        await staff.locator("#presence input:checked").wait_for(state="attached")
        start_resident(server, swede)
        start_resident(server, finn, language="fi")
        items = staff.locator("#queues li.queue-item")
        await items.filter(has_text=finn).wait_for()
        await items.filter(has_text=swede).wait_for()
        mine = items.filter(has_text=finn)
        other = items.filter(has_text=swede)
        # The Finnish resident came later but is first for this professional;
        # the Swedish one is marked, in words.
        names = await items.locator(".who strong").all_inner_texts()
        assert names.index(finn) < names.index(swede)
        assert "inte ett av dina språk" in await other.inner_text()
        assert "inte ett av dina språk" not in await mine.inner_text()
    finally:
        # The account serves other tests: every language again.
        await staff.goto(f"{server}/staff/profile/")
        await boxes.get_by_label("finska").uncheck()
        await staff.get_by_role("button", name="Spara").click()
        await staff.get_by_text("Dina språk har sparats.").wait_for()
    assert opened.errors == []
