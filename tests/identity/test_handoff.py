"""The whole handoff through HTTP against the stand-in provider: the professional
asks, the resident's browser opens the link, identifies at the stand-in, comes
back; the conversation is bound to the verified person."""

from datetime import date

import pytest
from django.conf import settings
from django.db import connection

from identity import crypto
from identity.models import FailureCode, IdentificationRequest, IdentityBinding, Level, RequestState
from tests.identity.conftest import query

pytestmark = pytest.mark.django_db


def test_resident_identifies_and_the_conversation_is_bound(flow, transport):
    flow.ask()
    link = flow.open_link()
    assert link.status_code == 302
    authorize = query(flow.authorize_url)
    # Only the request object and what OpenID Connect Core 6.1 wants repeated.
    assert set(authorize) == {"client_id", "response_type", "scope", "request"}
    flow.request.refresh_from_db()
    assert flow.request.state == RequestState.STARTED
    assert set(flow.request.secrets) >= {"nonce", "code_verifier"}

    flow.choose(person="tessa", method="mobile")
    back = query(flow.callback_url)
    assert set(back) == {"code", "state", "iss"}
    old_session = flow.browser.cookies[settings.SESSION_COOKIE_NAME].value

    page = flow.come_back()

    assert page.status_code == 200
    assert "Tessa Testilä" in page.content.decode()
    binding = IdentityBinding.objects.get(conversation=flow.conversation)
    assert (binding.given_names, binding.family_name) == ("Tessa", "Testilä")
    assert binding.birth_date == date(1980, 2, 1)
    assert binding.level == Level.HIGH
    assert binding.acr == "http://ftn.ficora.fi/2017/loa3"
    assert binding.provider == "oidc"
    assert crypto.decrypt_hetu(binding.hetu_ciphertext) == "010280-952L"
    assert binding.hetu_digest == crypto.hetu_digest("010280-952L")
    flow.request.refresh_from_db()
    assert flow.request.state == RequestState.COMPLETED
    # The one-time secrets are gone; the session has a new key and a new CSRF token.
    assert flow.request.secrets == {} and flow.request.consumed_at is not None
    assert flow.browser.cookies[settings.SESSION_COOKIE_NAME].value != old_session
    assert settings.CSRF_COOKIE_NAME in page.cookies
    # Back-channel: discovery, token, the provider's keys; all through the stand-in's views.
    assert [path for _method, path in transport.calls] == [
        "/identify/standin/.well-known/openid-configuration",
        "/identify/standin/token",
        "/identify/standin/jwks",
    ]


def test_the_resident_keeps_their_conversation_after_the_session_key_changes(flow):
    from conversations.selectors import SESSION_KEY

    flow.identify()
    assert flow.browser.session[SESSION_KEY] == flow.conversation.pk


def test_identification_pages_cannot_be_framed_and_send_no_referrer(flow):
    flow.ask()
    link = flow.open_link()
    flow.choose()
    page = flow.come_back()
    for response in (link, page):
        assert response["X-Frame-Options"] == "DENY"
        assert response["Referrer-Policy"] == "no-referrer"
        assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_a_person_without_a_finnish_identity_code_is_bound_by_the_provider_identifier(flow):
    flow.ask()
    flow.open_link()
    page = flow.browser.get(flow.authorize_url.split("testserver", 1)[1])
    assert "Erika Mustermann" in page.content.decode()
    flow.choose(action="eidas")
    assert flow.come_back().status_code == 200
    binding = IdentityBinding.objects.get(conversation=flow.conversation)
    assert binding.hetu_ciphertext == "" and binding.hetu_digest == ""
    assert binding.subject_digest
    assert binding.level == Level.SUBSTANTIAL
    assert binding.birth_date == date(1964, 8, 12)


def test_the_same_person_may_identify_again(flow):
    assert flow.identify(person="tessa", method="testbank").status_code == 200
    first = IdentityBinding.objects.get(conversation=flow.conversation)

    assert flow.identify(person="tessa", method="mobile").status_code == 200

    again = IdentityBinding.objects.get(conversation=flow.conversation)
    assert again.pk == first.pk
    assert again.level == Level.HIGH  # refreshed by the new identification
    assert again.first_identified_at == first.first_identified_at
    assert IdentificationRequest.objects.filter(state=RequestState.COMPLETED).count() == 2


def test_a_foreign_person_may_identify_again(flow):
    for _ in range(2):
        flow.ask()
        flow.open_link()
        flow.choose(action="eidas")
        assert flow.come_back().status_code == 200
    assert IdentificationRequest.objects.filter(state=RequestState.COMPLETED).count() == 2


def test_a_different_person_in_the_same_conversation_is_refused(flow):
    flow.identify(person="tessa")

    page = flow.identify(person="joni")

    assert page.status_code == 400
    assert "en annan person än den som redan identifierats" in page.content.decode()
    flow.request.refresh_from_db()
    assert flow.request.state == RequestState.FAILED
    assert flow.request.failure_code == FailureCode.DIFFERENT_PERSON
    binding = IdentityBinding.objects.get(conversation=flow.conversation)
    assert crypto.decrypt_hetu(binding.hetu_ciphertext) == "010280-952L"
    assert binding.given_names == "Tessa"


def test_a_finnish_person_cannot_replace_a_foreign_one(flow):
    flow.ask()
    flow.open_link()
    flow.choose(action="eidas")
    flow.come_back()

    page = flow.identify(person="tessa")

    assert page.status_code == 400
    assert flow.request.__class__.objects.get(pk=flow.request.pk).failure_code == "different_person"
    assert IdentityBinding.objects.get(conversation=flow.conversation).hetu_digest == ""


def test_the_identity_code_is_never_in_the_logs_or_stored_in_clear(flow, caplog):
    caplog.set_level("DEBUG")
    flow.identify(person="tessa")
    flow.identify(person="joni")  # refused: a different person

    for code in ("010280-952L", "010469-999W"):
        assert code not in caplog.text
    # Read every text column of every table as stored.
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (names from introspection)
            for row in cursor.fetchall():
                stored = " ".join(str(value) for value in row)
                assert "010280-952L" not in stored, table
                assert "010469-999W" not in stored, table
    with connection.cursor() as cursor:
        cursor.execute("SELECT hetu_ciphertext FROM identity_identitybinding")
        (ciphertext,) = cursor.fetchone()
    assert ciphertext and crypto.decrypt_hetu(ciphertext) == "010280-952L"


def test_the_pages_speak_the_conversations_language(flow):
    flow.conversation.language = "fi"
    flow.conversation.save(update_fields=["language"])
    flow.ask()
    flow.open_link()
    page = flow.browser.get(flow.authorize_url.split("testserver", 1)[1])
    assert '<html lang="fi">' in page.content.decode()
    assert "Valitse tunnistustapa" in page.content.decode()
    flow.choose()
    done = flow.come_back()
    assert '<html lang="fi">' in done.content.decode()
    assert "Olet tunnistautunut" in done.content.decode()


def test_a_refusal_speaks_the_browsers_language_when_the_conversation_is_unknown(flow):
    flow.ask()
    stranger = flow.browser.__class__(HTTP_ACCEPT_LANGUAGE="en")
    page = flow.open_link(stranger)
    assert '<html lang="en">' in page.content.decode()
    assert "works only in the browser where the chat is open" in page.content.decode()
