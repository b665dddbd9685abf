"""The resident's side of the handoff, over HTTP, and our public keys.

These pages open in their own top-level window (identity providers refuse to be
framed), so they keep the site-wide `X-Frame-Options: DENY`. Their addresses
carry no language prefix: the callback address is registered with the provider
as it is, and the pages speak the conversation's language.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.middleware.csrf import rotate_token
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from identity import actions
from identity.errors import IdentityError, failure_message
from identity.keys import client_keys
from identity.models import Level
from identity.providers import ProviderError, Site


def site_of(request: HttpRequest) -> Site:
    return Site(origin=f"{request.scheme}://{request.get_host()}")


def _language(request: HttpRequest, known: str = "") -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    if known in codes:
        return known
    return translation.get_language_from_request(request, check_path=False)


def _private(response: HttpResponse) -> HttpResponse:
    # The callback's address holds the one-time code and state: never sent on.
    response["Referrer-Policy"] = "no-referrer"
    return response


def _refusal(request: HttpRequest, error: IdentityError) -> HttpResponse:
    with translation.override(_language(request, error.language)):
        return _private(
            render(
                request,
                "identity/refused.html",
                {"message": error.message, "code": error.code},
                status=error.status,
            )
        )


@require_GET
@never_cache
def start(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the chat: checks the session, marks the request started and
    sends the browser to the identity provider."""
    try:
        url = actions.start_identification(
            token=token, session=request.session, site=site_of(request)
        )
    except IdentityError as error:
        return _refusal(request, error)
    except ProviderError:
        return _refusal(request, IdentityError("unavailable"))
    return _private(HttpResponseRedirect(url))


@require_GET
@never_cache
def callback(request: HttpRequest) -> HttpResponse:
    """Where the provider sends the browser back. On success the session gets a
    new key and a new CSRF token (the person behind it is now known)."""
    # A parameter given twice is ambiguous (RFC 6749 3.1): it counts as missing.
    params = {key: values[0] for key, values in request.GET.lists() if len(values) == 1}
    result = actions.finish_identification(
        session=request.session, params=params, site=site_of(request)
    )
    with translation.override(_language(request, result.language)):
        if result.completed:
            request.session.cycle_key()
            rotate_token(request)
            response = render(
                request,
                "identity/identified.html",
                {
                    "name": f"{result.given_names} {result.family_name}".strip(),
                    "level": Level(result.level).label if result.level else "",
                },
            )
        else:
            response = render(
                request,
                "identity/failed.html",
                {"message": failure_message(result.code), "code": result.code},
                status=400,
            )
    return _private(response)


@require_GET
def jwks(request: HttpRequest) -> JsonResponse:
    """Our public keys (signing and encryption) for the identity provider."""
    response = JsonResponse(client_keys().public_jwks)
    response["Cache-Control"] = "public, max-age=300"
    return response
