"""A video call in real Chromium with fake camera and microphone, as in the
`make run` demo: the professional asks, the resident allows and presses the
green camera, both pages play the other's video, the professional hangs up."""

import tempfile
import uuid
from pathlib import Path

import pytest

from tests.browser.conftest import (
    CHROMIUM_ARGS,
    dashboard,
    fresh_professional_cookie,
    open_chat_page,
    start_resident,
    until,
    watch_errors,
)

pytestmark = [pytest.mark.browser]
SCREENSHOTS = Path(tempfile.gettempdir()) / "chatservice-screenshots"
FAKE_MEDIA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


@pytest.fixture
async def media_browser(chromium_path):
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=chromium_path, args=[*CHROMIUM_ARGS, *FAKE_MEDIA]
        )
        yield browser
        await browser.close()


async def playing(video) -> bool:
    """The element shows decoded frames of a live stream."""
    return await video.evaluate("v => v.videoWidth > 0 && v.readyState >= 2 && !v.paused")


async def remember_stream(video) -> None:
    await video.evaluate("v => { v.previousStream = v.srcObject; }")


async def new_stream(video) -> bool:
    """Playing a stream other than the one remembered: a new connection."""
    fresh = await video.evaluate("v => v.srcObject !== null && v.srcObject !== v.previousStream")
    return fresh and await playing(video)


async def test_a_video_call_from_request_to_hang_up(server, media_browser):
    SCREENSHOTS.mkdir(exist_ok=True)
    name = f"Video {uuid.uuid4().hex[:6]}"
    cookie = start_resident(server, name)
    resident = await open_chat_page(
        media_browser, server, cookie, locale="sv-SE", permissions=["camera", "microphone"]
    )
    resident_errors = watch_errors(resident)
    opened = await dashboard(
        media_browser,
        server,
        fresh_professional_cookie(server),
        permissions=["camera", "microphone"],
    )
    staff = opened.page
    await staff.get_by_role("button", name=f"Ta: {name}").click()
    pane = staff.locator(".pane:not([hidden])")
    await pane.locator(".pane-title", has_text=name).wait_for()

    await pane.get_by_role("button", name="Begär videosamtal").click()
    await resident.get_by_text("Yrkespersonen ber att få starta ett videosamtal").wait_for()
    await resident.screenshot(path=str(SCREENSHOTS / "video-1-consent.png"))
    await resident.get_by_role("button", name="Tillåt").click()
    join = resident.get_by_role("button", name="Anslut till videosamtalet")
    await join.wait_for()
    await resident.screenshot(path=str(SCREENSHOTS / "video-2-green-camera.png"))
    await join.click()

    remote_at_resident = resident.locator('[data-video="remote"]')
    remote_at_staff = pane.locator('[data-video="remote"]')
    await until(lambda: playing(remote_at_resident), timeout=20)
    await until(lambda: playing(remote_at_staff), timeout=20)
    await pane.locator('[data-video="duration"]', has_text="Längd").wait_for()
    await resident.screenshot(path=str(SCREENSHOTS / "video-3-resident-call.png"))
    await staff.screenshot(path=str(SCREENSHOTS / "video-4-staff-call.png"))

    # A reload on either side during the call: the page learns of the call and the
    # two connect again — the resident presses the green camera again, the
    # professional's page joins by itself. The other side's picture is a new stream.
    await remember_stream(remote_at_staff)
    await resident.reload()
    await resident.get_by_role("button", name="Anslut till videosamtalet").click()
    await until(lambda: playing(resident.locator('[data-video="remote"]')), timeout=20)
    await until(lambda: new_stream(remote_at_staff), timeout=20)

    await remember_stream(resident.locator('[data-video="remote"]'))
    await staff.reload()
    pane = staff.locator(".pane:not([hidden])")
    await pane.locator(".pane-title", has_text=name).wait_for()
    await until(lambda: playing(pane.locator('[data-video="remote"]')), timeout=20)
    await until(lambda: new_stream(resident.locator('[data-video="remote"]')), timeout=20)

    await pane.get_by_role("button", name="Lägg på").click()
    await resident.get_by_text("Videosamtalet avslutades").wait_for()
    assert await resident.locator("[data-video-root]").is_hidden()
    assert resident_errors == [] and opened.errors == []


async def test_the_connection_test_gets_the_own_picture_back(server, media_browser):
    cookie = start_resident(server, f"Check {uuid.uuid4().hex[:6]}")
    resident = await open_chat_page(
        media_browser, server, cookie, locale="sv-SE", permissions=["camera", "microphone"]
    )
    errors = watch_errors(resident)
    # The test is offered next to the green camera; here it is opened directly.
    await resident.locator("#video-join-row").evaluate("row => { row.hidden = false; }")
    await resident.locator("#video-offer").evaluate("box => { box.hidden = false; }")
    await resident.get_by_role("button", name="Testa kamera och anslutning").click()
    echo = resident.locator('[data-check="remote"]')
    await until(lambda: playing(echo), timeout=20)
    await resident.locator('[data-check="result"]', has_text="ms").wait_for(timeout=20_000)
    await resident.screenshot(path=str(SCREENSHOTS / "video-5-connection-test.png"))
    await resident.get_by_role("button", name="Avsluta testet").click()
    assert await resident.locator('[data-check="view"]').is_hidden()
    assert errors == []
