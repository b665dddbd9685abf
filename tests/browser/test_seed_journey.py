"""The whole seed (the county's help page on its live chat, issue 17) in real Chromium,
as a resident on a phone and a professional at a desk, in two browser contexts:

chatbot icon on the front page → menu → speech bubble → service → intake →
queue → the professional (password + TOTP) takes it from the live dashboard →
messages both ways (an identity code typed by mistake is warned about and
hidden) → identification at the stand-in provider in a new window → an
attachment, scanned by a real clamd → video with fake devices → the
professional closes → end screen → transcript e-mailed to a real SMTP server →
survey → "end and clear" leaves nothing behind in the browser.

Its own server (the `make run` configuration plus SMTP and clamd), under the
real CSP (axe-core is evaluated through the DevTools protocol, not injected).
A screenshot of each step goes to docs/screenshots/ (the README shows some)."""

import os
import re
import shutil
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.attachments.test_clamd import clamd_socket  # noqa: F401 - a fixture
from tests.browser.conftest import (
    ANNA,
    AXE,
    CHROMIUM_ARGS,
    ROOT,
    _free_port,
    serving,
    until,
    watch_errors,
)
from tests.browser.test_accessibility import RULES
from tests.closing.conftest import Sink
from tests.conftest import totp_now

pytestmark = [pytest.mark.browser]

SHOTS = ROOT / "docs" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 800}
FAKE_MEDIA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
HETU = "010280-952L"  # Tessa Testilä, the stand-in's test person
TIMEOUT = 30_000  # ms, for a loaded machine
PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)


@pytest.fixture(scope="module")
def smtp():
    """A real SMTP server on loopback; what it received."""
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield controller, sink
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def journey_server(tmp_path_factory, smtp, clamd_socket):  # noqa: F811 - the fixture
    controller, _sink = smtp
    with serving(
        tmp_path_factory.mktemp("journey"),
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST=controller.hostname,
        EMAIL_PORT=str(controller.port),
        ATTACHMENT_SCANNER="clamd",
        CLAMD_SOCKET=clamd_socket,
        CLAMD_HOST="",
    ) as base:
        yield base


@pytest.fixture
async def media_browser(chromium_path):
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=chromium_path, args=[*CHROMIUM_ARGS, *FAKE_MEDIA]
        )
        yield browser
        await browser.close()


class Shots:
    """A screenshot of each step, NN-step.png in the order taken; published to
    docs/screenshots/ (or $SCREENSHOT_DIR) only when the whole journey passed,
    so that a failing run leaves the README's pictures as they were."""

    def __init__(self, workdir: Path):
        self.dir = workdir
        self.dir.mkdir()
        self.n = 0

    async def take(self, page, step: str) -> None:
        self.n += 1
        await page.screenshot(path=str(self.dir / f"{self.n:02d}-{step}.png"))

    def publish(self) -> None:
        target = Path(os.environ.get("SCREENSHOT_DIR") or SHOTS)
        target.mkdir(parents=True, exist_ok=True)
        for old in target.glob("[0-9][0-9]-*.png"):
            old.unlink()
        for shot in sorted(self.dir.iterdir()):
            shutil.copy(shot, target / shot.name)


async def axe(target) -> list[dict]:
    """WCAG 2.1 A/AA violations. axe-core is evaluated over the DevTools protocol,
    which the page's CSP does not govern, so the page keeps its real CSP."""
    if not await target.evaluate("typeof axe !== 'undefined'"):
        await target.evaluate(AXE.read_text() + "\n;0")
    found = await target.evaluate(
        "async tags => (await axe.run(document, {runOnly: tags})).violations", RULES
    )
    return [{"id": v["id"], "nodes": [n["target"] for n in v["nodes"]]} for v in found]


def csp_violations(page) -> list[str]:
    """Console reports of what the CSP refused (inline script or style, eval, ...)."""
    refused: list[str] = []
    page.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return refused


async def storage_is_empty(frame) -> bool:
    return await frame.evaluate(
        """async () => localStorage.length === 0 && sessionStorage.length === 0
        && (await indexedDB.databases()).length === 0"""
    )


async def playing(video) -> bool:
    return await video.evaluate("v => v.videoWidth > 0 && v.readyState >= 2 && !v.paused")


async def test_the_whole_seed_in_a_real_browser(
    journey_server, smtp, media_browser, axe_path, tmp_path
):
    server = journey_server
    _controller, sink = smtp
    shots = Shots(tmp_path / "screenshots")
    name = "Tessa Testilä"  # as she will identify (the server is this test's own)
    matter = "Feber sedan i går"
    media = {"permissions": ["camera", "microphone"], "locale": "sv-SE"}

    # 1. The chatbot icon on the county's front page (a phone).
    context = await media_browser.new_context(viewport=PHONE, **media)
    context.set_default_timeout(TIMEOUT)
    page = await context.new_page()
    errors, refused = watch_errors(page), csp_violations(page)
    await page.goto(f"{server}/")
    launcher = page.get_by_role("button", name="Öppna chatboten")
    await launcher.wait_for()
    await shots.take(page, "front-page")

    # 2. The icon opens the menu; the speech bubble is at its bottom.
    await launcher.click()
    panel = page.frame_locator(".chatservice-frame")
    bubble = panel.get_by_role("link", name="Chatta med en yrkesperson")
    await panel.get_by_role("heading", name="Hur kan vi hjälpa?").wait_for()
    assert await bubble.locator("svg").count() == 1  # the speech bubble
    await bubble.scroll_into_view_if_needed()
    await shots.take(page, "chatbot-menu")

    # 3. The service that fits best.
    await bubble.click()
    await panel.get_by_role("heading", name="Välj tjänst").wait_for()
    await shots.take(page, "services")
    await panel.locator("a[href$='/widget/services/health-advice/']").click()

    # 4. Name, phone, a short matter; warned not to give the identity code.
    await panel.locator("#id_name").fill(name)
    assert "personbeteckning" in await panel.locator(".warnings").inner_text()
    await panel.locator("#id_phone").fill("040 123 4567")
    await panel.locator("#id_matter").fill(matter)
    await shots.take(page, "intake")
    intake = page.frame(url=re.compile(r"/widget/services/health-advice/$"))
    assert intake is not None
    assert await axe(intake) == []

    # Meanwhile a professional logs in: password, then the TOTP code; the live dashboard.
    staff_context = await media_browser.new_context(viewport=DESK, **media)
    staff_context.set_default_timeout(TIMEOUT)
    staff = await staff_context.new_page()
    staff_errors, staff_refused = watch_errors(staff), csp_violations(staff)
    await staff.goto(f"{server}/staff/")
    await staff.fill("#id_login", ANNA[0])
    await staff.fill("#id_password", ANNA[1])
    await staff.click("form.account-form button[type=submit]")
    await staff.locator("input[name=code]").fill(totp_now(ANNA[2]))
    await shots.take(staff, "staff-totp")
    await staff.locator("main button[type=submit]").first.click()
    await staff.locator("#queues-heading").wait_for()
    await staff.locator("#presence input:checked").wait_for(state="attached")

    await panel.locator("form.intake button[type=submit]").click()

    # The queue; the professional sees the chat arrive live and takes it.
    await panel.locator("#status-waiting").wait_for(state="visible")
    await shots.take(page, "queue")
    take = staff.get_by_role("button", name=f"Ta: {name}")
    await take.wait_for()
    await shots.take(staff, "staff-queue")
    await take.click()
    pane = staff.locator(".pane:not([hidden])")
    await pane.locator(".pane-title", has_text=name).wait_for()
    assert matter in await pane.locator('[data-field="matter"]').inner_text()
    await panel.locator("#status-active").wait_for(state="visible")
    assert "Anna" in await panel.locator("#professional-name").inner_text()

    # 5. In writing, both ways.
    await panel.locator("#message-input").fill("Hej! Jag har haft feber sedan i går.")
    await panel.locator("#message-input").press("Enter")
    await pane.locator("li.from-resident", has_text="feber sedan i går").wait_for()
    await pane.locator(".composer textarea").fill("Hej! Hur hög är febern?")
    await pane.locator(".composer textarea").press("Control+Enter")
    await panel.locator("li.from-staff", has_text="Hur hög är febern?").wait_for()
    # An identity code typed by mistake: warned, and hidden if sent anyway.
    await panel.locator("#message-input").fill(f"38,5. Min personbeteckning är {HETU}")
    await panel.locator("#message-input").press("Enter")
    await panel.locator("#hetu-warning").wait_for(state="visible")
    await panel.locator("#message-input").press("Enter")
    masked = pane.locator("li.from-resident", has_text="38,5")
    await masked.wait_for()
    assert HETU not in await masked.inner_text()
    await panel.get_by_text("En personbeteckning doldes").wait_for()
    await shots.take(page, "chat")
    await shots.take(staff, "staff-chat")

    # Identification: the professional asks; "Identifiera dig" opens a new window.
    await pane.get_by_role("button", name="Begär identifiering").click()
    link = panel.get_by_role("link", name="Identifiera dig")
    await link.wait_for()
    assert await link.get_attribute("target") == "_blank"
    await shots.take(page, "identification-asked")
    async with context.expect_page() as opened:
        await link.click()
    provider = await opened.value
    await provider.get_by_role("heading", name="Välj hur du identifierar dig").wait_for()
    await provider.get_by_label("Mobilcertifikat", exact=False).check()
    await provider.get_by_label("Tessa Testilä", exact=False).check()
    await shots.take(provider, "identification-provider")
    await provider.get_by_role("button", name="Identifiera", exact=True).click()
    await provider.get_by_role("heading", name="Du är identifierad").wait_for()
    await provider.close()
    await panel.locator("#status-identified").wait_for(state="visible")
    person = pane.locator(".identity-person")
    await person.locator('[data-field="person-name"]', has_text="Tessa Testilä").wait_for()
    assert await person.locator('[data-field="person-code"]').inner_text() == "Dold"
    await shots.take(staff, "staff-identified")

    # The identified resident sends an attachment (scanned by clamd); the professional gets it.
    assert await panel.locator("#attach-button").get_attribute("aria-disabled") == "false"
    await panel.locator("#attach-input").set_input_files(
        files=[{"name": "recept.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    await panel.locator("li.message.has-attachment", has_text="recept.pdf").wait_for()
    await shots.take(page, "attachment-sent")
    received = pane.locator("li.message.has-attachment", has_text="recept.pdf")
    await received.wait_for()
    async with staff.expect_download() as downloading:
        await received.locator(".attachment-link").click()
    assert Path(await (await downloading.value).path()).read_bytes() == PDF
    await shots.take(staff, "staff-attachment")

    # Video: the professional asks, the resident allows and presses the green camera.
    await pane.get_by_role("button", name="Begär videosamtal").click()
    await panel.get_by_text("Yrkespersonen ber att få starta ett videosamtal").wait_for()
    await panel.get_by_role("button", name="Tillåt").click()
    join = panel.get_by_role("button", name="Anslut till videosamtalet")
    await join.wait_for()
    assert await join.locator("svg").count() == 1  # the camera picture
    await shots.take(page, "video-green-camera")
    await join.click()
    await until(lambda: playing(panel.locator('[data-video="remote"]')), timeout=30)
    await until(lambda: playing(pane.locator('[data-video="remote"]')), timeout=30)
    await pane.locator('[data-video="duration"]', has_text="Längd").wait_for()
    await shots.take(page, "video-call")
    await shots.take(staff, "staff-video-call")
    await pane.get_by_role("button", name="Lägg på").click()
    await panel.get_by_text("Videosamtalet avslutades").wait_for()

    # 6. The professional decides when it ends: the end screen.
    await pane.locator(".close-form select").select_option("guidance-given")
    await pane.locator(".close-form button").click()
    await panel.locator("#ended").wait_for(state="visible")
    await panel.locator("#after-chat #transcript-form").wait_for()
    assert await panel.locator("#composer").is_hidden()
    chat_frame = page.frame(url=re.compile(r"/widget/chat/$"))
    assert chat_frame is not None
    assert await axe(chat_frame) == []
    await shots.take(page, "end-screen")

    # The transcript, to a real SMTP server.
    await panel.locator("#transcript-email").fill("tessa@example.net")
    await panel.locator("#transcript-form button[type=submit]").click()
    await panel.locator("#transcript-queued").wait_for()
    await shots.take(page, "transcript-queued")
    await until(lambda: _received(sink), timeout=30)
    [mail] = sink.messages
    assert mail["To"] == "tessa@example.net"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    for body in (text, html):
        assert "feber sedan i går" in body
        assert "Hur hög är febern?" in body
        assert "recept.pdf" in body
        assert HETU not in body and "010280" not in body

    # The survey.
    await panel.locator("#survey-link").click()
    await panel.locator("form.survey").wait_for()
    await panel.locator("#id_satisfaction_4").check()
    await panel.locator("#id_help_received_0").check()
    await panel.locator("textarea[name=comment]").fill("Snabbt och vänligt.")
    await shots.take(page, "survey")
    await panel.locator("form.survey button[type=submit]").click()
    await panel.get_by_role("heading", name="Tack för dina svar!").wait_for()
    await shots.take(page, "survey-thanks")

    # 7. "End and clear" (always at the top of the panel): nothing left behind.
    await panel.get_by_role("link", name="Avsluta och rensa").first.click()
    await panel.get_by_role("button", name="Ja, avsluta och rensa").wait_for()
    await shots.take(page, "end-and-clear")
    await panel.get_by_role("button", name="Ja, avsluta och rensa").click()
    await panel.get_by_role("heading", name="Avslutat och rensat").wait_for()
    await shots.take(page, "ended-and-cleared")
    ended = page.frame(url=re.compile(r"/widget/ended/$"))
    assert ended is not None
    assert await storage_is_empty(ended)
    assert await context.cookies(server) == []

    fresh = await context.new_page()
    await fresh.goto(f"{server}/widget/chat/")
    assert fresh.url.endswith("/widget/")  # the chat is gone
    await fresh.goto(f"{server}/")
    await fresh.get_by_role("button", name="Öppna chatboten").click()
    menu = fresh.frame_locator(".chatservice-frame")
    await menu.get_by_role("link", name="Chatta med en yrkesperson").wait_for()
    assert await menu.get_by_text("Återvänd till din chatt").count() == 0
    for trace in (name, "feber", "recept.pdf"):
        assert await menu.get_by_text(trace).count() == 0
    await shots.take(fresh, "new-page-no-trace")
    assert await storage_is_empty(fresh.main_frame)
    assert await context.cookies(server) == []

    assert await axe(staff) == []
    assert errors == [] and staff_errors == []
    assert refused == [] and staff_refused == []
    shots.publish()


async def _received(sink: Sink) -> bool:
    return len(sink.messages) > 0
