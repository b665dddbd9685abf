"""The gateways: the HTTP adapter against a real local HTTP server, the console
backend (number masked), the choice by SMS_BACKEND."""

import base64
import io

import pytest

from notify import gateways
from tests.notify.conftest import PASSWORD, PHONE, SENDER, USERNAME


def test_the_http_adapter_posts_sender_number_and_text_with_basic_credentials(http_sms):
    gateways.get_gateway().send(to=PHONE, text="Hälsorådgivning: hej")
    [item] = http_sms.received
    assert item.path == "/api/v1/sms"
    assert item.content_type == "application/json"
    assert (
        item.authorization
        == "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
    )
    assert item.body == {"sender": SENDER, "to": PHONE, "text": "Hälsorådgivning: hej"}


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (500, "SmsError"),
        (503, "SmsError"),
        (429, "SmsError"),
        (400, "SmsRejected"),
        (401, "SmsRejected"),
    ],
)
def test_the_http_adapter_tells_retryable_from_refused(http_sms, status, error):
    http_sms.answers = [status]
    with pytest.raises(gateways.SmsError) as caught:
        gateways.get_gateway().send(to=PHONE, text="x")
    assert type(caught.value).__name__ == error
    assert PHONE not in str(caught.value)


def test_an_unreachable_gateway_may_be_retried(settings):
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = "http://127.0.0.1:9/nothing-listens"
    with pytest.raises(gateways.SmsError) as caught:
        gateways.get_gateway().send(to=PHONE, text="x")
    assert not isinstance(caught.value, gateways.SmsRejected)


def test_without_credentials_no_authorization_header_is_sent(http_sms, settings):
    settings.SMS_HTTP_USERNAME = ""
    gateways.get_gateway().send(to=PHONE, text="x")
    assert http_sms.received[0].authorization == ""


def test_the_console_backend_prints_the_message_with_the_number_masked(settings):
    settings.SMS_BACKEND = "console"
    settings.SMS_SENDER = "Chat"
    out = io.StringIO()
    gateways.ConsoleGateway(stream=out).send(to=PHONE, text="Tjänst: länk")
    printed = out.getvalue()
    assert "Tjänst: länk" in printed
    assert "+358 *** **67" in printed
    assert PHONE not in printed and "401234567" not in printed


def test_the_console_backend_is_chosen_by_the_setting_and_writes_to_stdout(settings, capsys):
    settings.SMS_BACKEND = "console"
    gateway = gateways.get_gateway()
    assert isinstance(gateway, gateways.ConsoleGateway)
    gateway.send(to=PHONE, text="hello")
    assert "+358 *** **67" in capsys.readouterr().out


def test_a_gateway_of_ones_own_by_dotted_path(settings):
    settings.SMS_BACKEND = "tests.notify.test_gateway.Recorder"
    gateways.get_gateway().send(to=PHONE, text="own")
    assert Recorder.sent == [(PHONE, "own")]


def test_off_offers_nothing(settings):
    settings.SMS_BACKEND = "off"
    assert not gateways.sms_enabled()
    with pytest.raises(gateways.SmsRejected):
        gateways.get_gateway()


class Recorder:
    sent: list = []

    def send(self, *, to: str, text: str) -> None:
        Recorder.sent.append((to, text))
