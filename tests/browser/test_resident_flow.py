"""The resident's whole journey in real Chromium, with a professional on the
real staff socket: front-page icon → menu → service → intake → queue → chat."""

import re
import uuid

import pytest

from tests.browser.conftest import SocketWatch

pytestmark = [pytest.mark.browser]

TEXTS = {
    "sv": {
        "prefix": "",
        "chat": "Chatta med en yrkesperson",
        "waiting": "Du står i kö",
        "sent": "Skickat",
        "delivered": "Levererat",
    },
    "fi": {
        "prefix": "/fi",
        "chat": "Keskustele ammattilaisen kanssa",
        "waiting": "Olet jonossa",
        "sent": "Lähetetty",
        "delivered": "Toimitettu",
    },
}


async def start_chat(page, server, lang: str, name: str):
    t = TEXTS[lang]
    await page.goto(f"{server}{t['prefix']}/")
    launcher = page.locator(".chatservice-launcher")
    await launcher.click()
    assert await launcher.get_attribute("aria-expanded") == "true"
    frame = page.frame_locator(".chatservice-frame")
    await frame.get_by_role("link", name=t["chat"]).click()
    await frame.locator("a[href$='/widget/services/health-advice/']").click()
    await frame.locator("#id_name").fill(name)
    await frame.locator("#id_phone").fill("040 123 4567")
    await frame.locator("#id_matter").fill("Vaccin")
    await frame.locator("form.intake button[type=submit]").click()
    await frame.locator("#status-waiting").get_by_text(t["waiting"]).wait_for()
    return frame


@pytest.mark.parametrize("lang", ["sv", "fi"])
async def test_resident_reaches_a_professional_and_they_talk(server, browser, professional, lang):
    page = await (await browser.new_context()).new_page()
    name = f"Resident {uuid.uuid4().hex[:6]}"
    frame = await start_chat(page, server, lang, name)
    assert await frame.locator("html").get_attribute("lang") == lang

    conversation = await professional.claim_by_name(name)
    await frame.locator("#status-active").wait_for(state="visible")
    assert "Anna" in await frame.locator("#professional-name").inner_text()

    await frame.locator("#message-input").fill("Hej från invånaren")
    await frame.locator("#message-input").press("Enter")
    got = await professional.recv("message.new", conversation=conversation)
    assert got["body"] == "Hej från invånaren" and got["author_kind"] == "resident"
    mine = frame.locator("li.from-resident").last
    await mine.locator(".state").get_by_text(TEXTS[lang]["sent"]).wait_for()

    await professional.send({"type": "typing.start", "conversation": conversation})
    await frame.locator("#typing").wait_for(state="visible")
    await professional.send(
        {
            "type": "message.send",
            "conversation": conversation,
            "client_id": uuid.uuid4().hex,
            "body": "Hej! Hur kan jag hjälpa?",
        }
    )
    reply = frame.locator("li.from-staff").last
    await reply.get_by_text("Hej! Hur kan jag hjälpa?").wait_for()
    assert await frame.locator("#messages").get_attribute("aria-live") == "polite"
    # The page tells the professional it has shown the message: delivered.
    await professional.recv("message.delivered", conversation=conversation)
    await professional.send(
        {"type": "message.received", "conversation": conversation, "seq": got["seq"]}
    )
    await frame.locator("li.from-resident[data-state='delivered']").wait_for()
    # Still delivered after a reload: the page learns what the professional has seen.
    await frame.locator("html").evaluate("h => { h.dataset.before = ''; location.reload() }")
    await frame.locator("html:not([data-before]) #messages").wait_for()
    await frame.locator("li.from-resident[data-state='delivered']").wait_for()
    assert await frame.locator("li.from-resident .state").inner_text() == TEXTS[lang]["delivered"]

    await professional.send(
        {"type": "conversation.close", "conversation": conversation, "reason": "guidance-given"}
    )
    await frame.locator("#ended").wait_for(state="visible")
    assert await frame.locator("#composer").is_hidden()


async def test_reconnect_in_the_middle_replays_and_sends_what_was_kept(
    server, browser, professional
):
    context = await browser.new_context()
    # The page's socket goes through a route the test can cut, like a network drop.
    link = {"up": True, "routes": []}

    async def route(ws):
        if not link["up"]:
            await ws.close(code=4000, reason="network down")
            return
        ws.connect_to_server()
        link["routes"].append(ws)

    await context.route_web_socket(re.compile(r".*/ws/v1/resident/$"), route)
    page = await context.new_page()
    name = f"Resident {uuid.uuid4().hex[:6]}"
    frame = await start_chat(page, server, "sv", name)
    conversation = await professional.claim_by_name(name)
    await frame.locator("#status-active").wait_for(state="visible")

    link["up"] = False
    for ws in link["routes"]:
        await ws.close(code=4000, reason="network down")
    await frame.locator("#connection-banner").wait_for(state="visible")
    await professional.send(
        {
            "type": "message.send",
            "conversation": conversation,
            "client_id": "while-away",
            "body": "Medan du var borta",
        }
    )
    await frame.locator("#message-input").fill("Skrivet utan förbindelse")
    await frame.locator("#message-input").press("Enter")
    link["up"] = True

    await frame.locator("li.from-staff").get_by_text("Medan du var borta").wait_for(timeout=20000)
    await frame.locator("#connection-banner").wait_for(state="hidden")
    kept = await professional.recv(
        "message.new", conversation=conversation, body="Skrivet utan förbindelse"
    )
    assert kept["author_kind"] == "resident"
    # Nothing doubled: each message is on the page once.
    assert await frame.locator("li.from-staff", has_text="Medan du var borta").count() == 1
    assert await frame.locator("li.from-resident", has_text="Skrivet utan förbindelse").count() == 1


async def test_end_and_clear_leaves_nothing_behind(server, browser, professional):
    context = await browser.new_context()
    page = await context.new_page()
    name = f"Resident {uuid.uuid4().hex[:6]}"
    frame = await start_chat(page, server, "sv", name)
    conversation = await professional.claim_by_name(name)
    await frame.locator("#message-input").fill("Hemligt")
    await frame.locator("#message-input").press("Enter")
    await professional.recv("message.new", conversation=conversation)

    await frame.get_by_role("link", name="Avsluta och rensa").first.click()
    await frame.get_by_role("button", name="Ja, avsluta och rensa").click()
    await frame.get_by_role("heading", name="Avslutat och rensat").wait_for()
    left = await professional.recv("conversation.changed", change="resident_left")
    assert left["conversation"]["id"] == conversation
    inner = page.frames[1]
    assert await inner.evaluate("sessionStorage.length") == 0

    await frame.get_by_role("link", name="Tillbaka till chatboten").click()
    assert await frame.get_by_text("Återvänd till din chatt").count() == 0
    await page.goto(f"{server}/widget/chat/")
    assert page.url.endswith("/widget/")  # the old chat is gone


async def test_identity_code_is_warned_about_then_masked(server, browser, professional):
    page = await (await browser.new_context()).new_page()
    name = f"Resident {uuid.uuid4().hex[:6]}"
    frame = await start_chat(page, server, "sv", name)
    conversation = await professional.claim_by_name(name)
    await frame.locator("#message-input").fill("Min kod 010280-952L")
    await frame.locator("#message-input").press("Enter")
    await frame.locator("#hetu-warning").wait_for(state="visible")
    await frame.locator("#message-input").press("Enter")  # send anyway: the server masks
    got = await professional.recv("message.new", conversation=conversation)
    assert "010280" not in got["body"] and "[***]" in got["body"]
    await frame.get_by_text("En personbeteckning doldes").wait_for()


async def test_an_idle_chat_page_warns_then_ends_and_clears_itself(server, browser, professional):
    context = await browser.new_context()
    page = await context.new_page()
    watch = SocketWatch(page)
    await page.clock.install()
    name = f"Resident {uuid.uuid4().hex[:6]}"
    frame = await start_chat(page, server, "sv", name)
    conversation = await professional.claim_by_name(name)
    await frame.locator("#status-active").wait_for(state="visible")
    warning = frame.get_by_role("alertdialog", name="Är du kvar?")

    # Two minutes before RESIDENT_IDLE_MINUTES (30) the page asks; "Continue" keeps the chat.
    await watch.fast_forward(page, "27:30")
    assert await warning.is_hidden()
    await watch.fast_forward(page, "01:00")
    await warning.wait_for()
    assert "Tid kvar: 1:" in await warning.inner_text()
    await warning.get_by_role("button", name="Fortsätt chatten").click()
    await warning.wait_for(state="hidden")
    await watch.fast_forward(page, "29:00")  # 29 min after "Continue": warned, not ended
    await warning.wait_for()
    assert await frame.locator("#composer").is_visible()

    await watch.fast_forward(page, "02:00")  # ignored: ended and cleared
    await frame.get_by_role("heading", name="Avslutat och rensat").wait_for()
    left = await professional.recv("conversation.changed", change="resident_left")
    assert left["conversation"]["id"] == conversation


async def test_a_long_wait_is_said_honestly_and_waiting_is_not_idleness(server, browser):
    page = await (await browser.new_context()).new_page()
    watch = SocketWatch(page)
    await page.clock.install()
    frame = await start_chat(page, server, "sv", f"Resident {uuid.uuid4().hex[:6]}")
    notice = frame.locator("#status-long-wait")
    assert await notice.is_hidden()
    # An hour in the queue without touching the page: no idle warning, no ending.
    for _ in range(2):
        await watch.fast_forward(page, "29:00")
    await watch.fast_forward(page, "03:00")  # 61 min: the demo service's maximum wait is 60
    await notice.wait_for(state="visible")
    assert "112" in await notice.inner_text()
    assert await frame.locator("#idle-warning").is_hidden()
    assert await frame.locator("#status-waiting").is_visible()
