"""The browser client (static/js/chatsocket.js) under what real networks do:
the reader scrolled up while messages arrive, a connection that dies without a
close frame, frames that arrive late, twice or out of order, and a message the
server could not store this time. Shown on the resident's page; the
professional's dashboard uses the same module."""

import asyncio
import json
import re
import uuid

import pytest

from tests.browser.conftest import SocketWatch, pause_clock, until, watch_errors
from tests.browser.test_resident_flow import start_chat

pytestmark = [pytest.mark.browser]
RESIDENT_SOCKET = re.compile(r".*/ws/v1/resident/$")


def at_bottom(messages):
    async def check() -> bool:
        return await messages.evaluate("e => e.scrollHeight - e.scrollTop - e.clientHeight < 2")

    return check


async def in_panel(page, locator) -> bool:
    """The element is inside the chatbot panel's visible frame."""
    box = await locator.bounding_box()
    panel = await page.locator(".chatservice-frame").bounding_box()
    return bool(
        box
        and panel
        and box["y"] >= panel["y"] - 1
        and box["y"] + box["height"] <= panel["y"] + panel["height"] + 1
    )


async def staff_says(professional, conversation: int, body: str) -> dict:
    await professional.send(
        {
            "type": "message.send",
            "conversation": conversation,
            "client_id": uuid.uuid4().hex,
            "body": body,
        }
    )
    return await professional.recv("message.new", conversation=conversation, body=body)


async def test_the_newest_message_stays_in_view_unless_the_reader_scrolled_up(
    server, browser, professional
):
    page = await (await browser.new_context()).new_page()
    errors = watch_errors(page)
    name = f"Resident {uuid.uuid4().hex[:6]}"
    frame = await start_chat(page, server, "sv", name)
    conversation = await professional.claim_by_name(name)
    await frame.locator("#status-active").wait_for(state="visible")
    messages = frame.locator("#messages")
    for i in range(15):
        await staff_says(professional, conversation, f"Meddelande {i} med lite mer text i sig")
    await frame.locator("li.from-staff", has_text="Meddelande 14").wait_for()
    await until(at_bottom(messages))  # at the bottom: the view follows
    assert await in_panel(page, frame.locator("li.from-staff", has_text="Meddelande 14"))

    # Reading older messages: a new one does not move the view; a button says so.
    await messages.evaluate("e => { e.scrollTop = 0 }")
    await until(lambda: messages.evaluate("e => e.scrollTop === 0"))
    new_messages = frame.get_by_role("button", name="Nya meddelanden")
    assert await new_messages.is_hidden()
    await staff_says(professional, conversation, "Medan du läste")
    await frame.locator("li.from-staff", has_text="Medan du läste").wait_for()
    await new_messages.wait_for()
    assert await messages.evaluate("e => e.scrollTop") == 0
    assert await messages.get_attribute("aria-live") == "polite"  # still announced
    await new_messages.click()
    await until(at_bottom(messages))
    await new_messages.wait_for(state="hidden")

    # One's own message always comes into view.
    await messages.evaluate("e => { e.scrollTop = 0 }")
    await until(lambda: messages.evaluate("e => e.scrollTop === 0"))
    await frame.locator("#message-input").fill("Mitt eget")
    await frame.locator("#message-input").press("Enter")
    await until(at_bottom(messages))

    # The end of the conversation is in view too.
    await professional.send(
        {"type": "conversation.close", "conversation": conversation, "reason": "guidance-given"}
    )
    professional.claimed.remove(conversation)
    await frame.locator("#ended").wait_for(state="visible")
    assert await in_panel(page, frame.get_by_role("heading", name="Samtalet har avslutats"))
    assert errors == []


async def test_a_connection_that_dies_silently_is_noticed_and_resumed(
    server, browser, professional
):
    context = await browser.new_context()
    link: dict = {"dead": False, "routes": []}

    async def route(ws):
        upstream = ws.connect_to_server()
        # A dead network: nothing passes either way, and no close frame comes.
        upstream.on_message(lambda message: None if link["dead"] else ws.send(message))
        ws.on_message(lambda message: None if link["dead"] else upstream.send(message))
        link["routes"].append(ws)

    await context.route_web_socket(RESIDENT_SOCKET, route)
    page = await context.new_page()
    errors = watch_errors(page)
    watch = SocketWatch(page)
    await page.clock.install()
    name = f"Resident {uuid.uuid4().hex[:6]}"
    frame = await start_chat(page, server, "sv", name)
    conversation = await professional.claim_by_name(name)
    await frame.locator("#status-active").wait_for(state="visible")
    banner = frame.locator("#connection-banner")
    await pause_clock(page)

    link["dead"] = True
    await page.clock.fast_forward("00:21")  # the heartbeat sends a ping; no pong comes
    assert await banner.is_hidden()
    await staff_says(professional, conversation, "Medan länken var död")
    await page.clock.fast_forward("00:11")  # no pong within 10 s: the socket is dead
    await banner.wait_for(state="visible")
    await frame.locator("#message-input").fill("Skrivet utan förbindelse")
    await frame.locator("#message-input").press("Enter")
    waiting = frame.locator("li.from-resident", has_text="Skrivet utan förbindelse")
    await waiting.locator(".state").get_by_text("Inte skickat än").wait_for()
    await until(at_bottom(frame.locator("#messages")))  # the "not sent yet" state is in view

    link["dead"] = False
    await page.clock.fast_forward("00:01")  # the backoff's first step: reconnect and resync
    await banner.wait_for(state="hidden")
    await frame.locator("li.from-staff", has_text="Medan länken var död").wait_for()
    await professional.recv(
        "message.new", conversation=conversation, body="Skrivet utan förbindelse"
    )
    await waiting.locator(".state").get_by_text("Skickat").wait_for()
    assert len(link["routes"]) == 2
    assert await frame.locator("li", has_text="Medan länken var död").count() == 1
    assert await frame.locator("li", has_text="Skrivet utan förbindelse").count() == 1

    # The browser's own word: offline shows the banner at once, online reconnects.
    await watch.settled()
    await context.set_offline(True)
    await banner.wait_for(state="visible")
    await context.set_offline(False)
    for _ in range(20):  # at once, or (when the network needs a moment) after a retry
        if await banner.is_hidden():
            break
        await page.clock.fast_forward("00:01")
        await asyncio.sleep(0.1)
    await banner.wait_for(state="hidden")
    assert len(link["routes"]) >= 3
    assert errors == []


async def test_messages_arriving_late_twice_or_out_of_order_are_shown_once_in_place(
    server, browser, professional
):
    context = await browser.new_context()
    link: dict = {"hold": set(), "held": [], "release_after": None, "routes": [], "syncs": []}

    async def route(ws):
        upstream = ws.connect_to_server()

        def from_server(message):
            frame = json.loads(message)
            if frame["type"] == "message.new" and frame["body"] in link["hold"]:
                link["held"].append(message)
                return
            ws.send(message)
            if frame["type"] == "message.new" and frame["body"] == link["release_after"]:
                for late in link["held"]:  # late, and twice
                    ws.send(late)
                    ws.send(late)
                link["held"].clear()

        def from_page(message):
            frame = json.loads(message)
            if frame["type"] == "sync":
                link["syncs"].append(frame["after_seq"])
            upstream.send(message)

        upstream.on_message(from_server)
        ws.on_message(from_page)
        link["routes"].append(ws)

    await context.route_web_socket(RESIDENT_SOCKET, route)
    page = await context.new_page()
    errors = watch_errors(page)
    name = f"Resident {uuid.uuid4().hex[:6]}"
    frame = await start_chat(page, server, "sv", name)
    conversation = await professional.claim_by_name(name)
    await frame.locator("#status-active").wait_for(state="visible")
    staff_texts = frame.locator("li.from-staff .body")

    # "Före" (seq n) overtaken by "Efter" (n + 1), then delivered twice.
    link["hold"] = {"Före"}
    link["release_after"] = "Efter"
    before = await staff_says(professional, conversation, "Före")
    after = await staff_says(professional, conversation, "Efter")
    assert after["seq"] == before["seq"] + 1
    await frame.locator("li.from-staff", has_text="Före").wait_for()
    await frame.locator("li.from-staff", has_text="Efter").wait_for()
    assert await staff_texts.all_inner_texts() == ["Före", "Efter"]

    # A gap ("Saknas" never arrives live): after a reconnect the page syncs from
    # the last seq it shows without a gap, and the replay fills the gap in place.
    link["hold"] = {"Saknas"}
    link["release_after"] = None
    missing = await staff_says(professional, conversation, "Saknas")
    await staff_says(professional, conversation, "Sist")
    await frame.locator("li.from-staff", has_text="Sist").wait_for()
    assert await staff_texts.all_inner_texts() == ["Före", "Efter", "Sist"]
    link["hold"] = set()
    await link["routes"][-1].close(code=4000, reason="network blip")
    await frame.locator("li.from-staff", has_text="Saknas").wait_for(timeout=20000)
    assert link["syncs"][-1] == missing["seq"] - 1
    assert await staff_texts.all_inner_texts() == ["Före", "Efter", "Saknas", "Sist"]
    assert errors == []


@pytest.mark.parametrize("code", ["server_error", "rate_limited"])
async def test_a_message_refused_for_now_is_sent_again_on_the_same_socket(
    server, browser, professional, code
):
    context = await browser.new_context()
    link: dict = {"refused": [], "sent": [], "routes": []}

    async def route(ws):
        upstream = ws.connect_to_server()

        def from_page(message):
            frame = json.loads(message)
            if frame["type"] == "message.send":
                if frame["body"] == "Försök igen" and not link["refused"]:
                    # The server could not store it this time (database down, or too fast).
                    link["refused"].append(frame["client_id"])
                    error = {"type": "error", "code": code, "client_id": frame["client_id"]}
                    error["message"] = "Något gick fel; försök igen."
                    if code == "rate_limited":
                        error["retry_after"] = 3
                    ws.send(json.dumps(error))
                    return
                link["sent"].append(frame["client_id"])
            upstream.send(message)

        ws.on_message(from_page)
        link["routes"].append(ws)

    await context.route_web_socket(RESIDENT_SOCKET, route)
    page = await context.new_page()
    errors = watch_errors(page)
    await page.clock.install()
    name = f"Resident {uuid.uuid4().hex[:6]}"
    frame = await start_chat(page, server, "sv", name)
    conversation = await professional.claim_by_name(name)
    await frame.locator("#status-active").wait_for(state="visible")
    await pause_clock(page)

    await frame.locator("#message-input").fill("Försök igen")
    await frame.locator("#message-input").press("Enter")
    mine = frame.locator("li.from-resident", has_text="Försök igen")
    await mine.locator(".state").get_by_text("Inte skickat än: försöker igen").wait_for()
    assert link["sent"] == []
    await page.clock.fast_forward("00:04")  # the backoff (or retry_after) has passed
    got = await professional.recv("message.new", conversation=conversation, body="Försök igen")
    await mine.locator(".state").get_by_text("Skickat").wait_for()
    assert link["sent"] == link["refused"] == [got["client_id"]]  # the same message again
    assert len(link["routes"]) == 1  # on the same socket, no reconnect needed
    assert await frame.locator("li", has_text="Försök igen").count() == 1
    assert errors == []
