"""The resident's side of the handoff, over HTTP, and our public keys.

These pages open in their own top-level window (identity providers refuse to be
framed), so they keep the site-wide `X-Frame-Options: DENY`. Their addresses
carry no language prefix: the callback address is registered with the provider
as it is, and the pages speak the conversation's language.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.middleware.csrf import rotate_token
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from identity import actions
from identity.errors import IdentityError, failure_message
from identity.keys import client_keys
from identity.models import FailureCode, Level
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
    """Where the (OpenID Connect) provider sends the browser back."""
    params = _single_valued(request.GET)
    result = actions.finish_identification(
        session=request.session, params=params, site=site_of(request)
    )
    return _finished(request, result)


def _single_valued(query) -> dict[str, str]:
    # A parameter given twice is ambiguous (RFC 6749 3.1): it counts as missing.
    return {key: values[0] for key, values in query.lists() if len(values) == 1}


def _finished(
    request: HttpRequest, result: actions.FinishResult, *, relay_state: str = ""
) -> HttpResponse:
    """The page after the provider's answer. On success the session gets a new
    key and a new CSRF token (the person behind it is now known)."""
    saml_login = False
    with translation.override(_language(request, result.language)):
        if result.completed:
            request.session.cycle_key()
            rotate_token(request)
            if relay_state:
                from identity.saml import sessions as saml_sessions

                saml_sessions.adopt(request.session, relay_state)
                saml_login = saml_sessions.current(request.session) is not None
            response = render(
                request,
                "identity/identified.html",
                {
                    "name": f"{result.given_names} {result.family_name}".strip(),
                    "level": Level(result.level).label if result.level else "",
                    "saml_logout": saml_login,
                },
            )
        else:
            response = render(
                request,
                "identity/failed.html",
                {"message": failure_message(result.code), "code": result.code},
                status=400,
            )
    response = _private(response)
    if saml_login:
        _allow_saml_logout_form(request, response)
    return response


def _allow_saml_logout_form(request: HttpRequest, response: HttpResponse) -> None:
    """The "Log out of Suomi.fi" form posts to us and is redirected to the
    identity provider: CSP `form-action` applies to that redirect, so the IdP's
    origins are allowed there. Its POST must carry a real Origin for the CSRF
    check, which `no-referrer` would blank: this page's address holds nothing
    secret any more (the continuation key is spent)."""
    from identity.saml.config import idp_origins

    try:
        origins = idp_origins(site_of(request))
    except (ImproperlyConfigured, ProviderError):
        origins = []
    response["Referrer-Policy"] = "same-origin"
    response["Content-Security-Policy"] = _policy(
        form_action=" ".join(["'self'", *origins]), frame_ancestors="'none'"
    )


def _policy(*, form_action: str, frame_ancestors: str) -> str:
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"form-action {form_action}; base-uri 'none'; object-src 'none'; "
        f"frame-ancestors {frame_ancestors}"
    )


@require_GET
def jwks(request: HttpRequest) -> JsonResponse:
    """Our public keys (signing and encryption) for the identity provider."""
    response = JsonResponse(client_keys().public_jwks)
    response["Cache-Control"] = "public, max-age=300"
    return response


# --- SAML (Suomi.fi e-Identification) -------------------------------------------------
SAML_ACS_SECONDS = 120
MAX_SAML_FIELD = 400_000


@csrf_exempt  # the identity provider's form, authenticated by its signatures
@require_POST
@never_cache
def saml_acs(request: HttpRequest) -> HttpResponse:
    """The assertion consumer service (HTTP-POST binding). The identity provider's
    form comes from its own site, so the browser sends no SameSite=Lax session
    cookie with it: the form is kept server-side for a moment under a random key
    and the browser continues with a top-level GET, which carries the cookie."""
    message = request.POST.get("SAMLResponse", "")
    relay_state = request.POST.get("RelayState", "")
    if not message or len(message) > MAX_SAML_FIELD or len(relay_state) > 200:
        return _refusal(request, IdentityError("link_not_found"))
    key = secrets.token_urlsafe(32)
    cache.set(
        "identity:saml:acs:" + key,
        {"SAMLResponse": message, "RelayState": relay_state},
        SAML_ACS_SECONDS,
    )
    response = HttpResponseRedirect(reverse("identity:saml-acs-continue", args=[key]))
    response.status_code = 303
    return _private(response)


@require_GET
@never_cache
def saml_acs_continue(request: HttpRequest, key: str) -> HttpResponse:
    """The kept Response, once, in the resident's own session."""
    cache_key = "identity:saml:acs:" + key
    params = cache.get(cache_key)
    if not isinstance(params, dict) or not cache.delete(cache_key):
        result = actions.FinishResult(False, FailureCode.REPLAYED)
        return _finished(request, result)
    result = actions.finish_identification(
        session=request.session, params=params, site=site_of(request)
    )
    return _finished(request, result, relay_state=params.get("RelayState", ""))


@require_GET
def saml_metadata(request: HttpRequest) -> HttpResponse:
    """Our SAML metadata, for Suomi.fi (entityID, ACS, SLO, certificate, names)."""
    from identity.saml.config import sp_metadata_xml

    if settings.IDENTITY_PROVIDER != "saml":
        raise Http404
    response = HttpResponse(
        sp_metadata_xml(site_of(request)), content_type="application/samlmetadata+xml"
    )
    response["Cache-Control"] = "public, max-age=300"
    return response


def _framable_by_idp(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Suomi.fi may run logout in a frame of its own page: only its origins may
    frame this endpoint (never anybody else)."""
    from identity.saml.config import idp_origins

    try:
        origins = idp_origins(site_of(request))
    except (ImproperlyConfigured, ProviderError):
        origins = []
    ancestors = " ".join(origins) or "'none'"
    response["Content-Security-Policy"] = _policy(form_action="'self'", frame_ancestors=ancestors)
    response.xframe_options_exempt = True
    return _private(response)


@xframe_options_exempt
@require_GET
@never_cache
def saml_slo(request: HttpRequest) -> HttpResponse:
    """Single logout (HTTP-Redirect): a LogoutRequest from the identity provider
    (answered with our LogoutResponse), or its LogoutResponse to ours."""
    from identity.saml import logout

    try:
        outcome = logout.handle(
            site=site_of(request),
            query_string=request.META.get("QUERY_STRING", ""),
            params=_single_valued(request.GET),
        )
    except logout.LogoutError as error:
        logout.logger.info("SAML logout message refused: %s", error.reason)
        with translation.override(_language(request)):
            response = render(request, "identity/saml_logout_refused.html", status=400)
        return _framable_by_idp(request, response)
    if outcome.redirect_url:
        return _framable_by_idp(request, HttpResponseRedirect(outcome.redirect_url))
    return _framable_by_idp(request, HttpResponseRedirect(outcome.next_path))


@require_POST
@never_cache
def saml_logout(request: HttpRequest) -> HttpResponse:
    """The resident logs out of Suomi.fi (SP-initiated single logout): the local
    login is forgotten first, then the identity provider is told."""
    from identity.saml import logout, sessions

    login = sessions.forget(request.session)
    done = reverse("identity:saml-logged-out")
    if login is None:
        return HttpResponseRedirect(done)
    try:
        url = logout.begin(site=site_of(request), login=login, next_path=done)
    except (logout.LogoutError, ImproperlyConfigured, ProviderError):
        return HttpResponseRedirect(done)
    return _private(HttpResponseRedirect(url))


@require_GET
@never_cache
def saml_logged_out(request: HttpRequest) -> HttpResponse:
    with translation.override(_language(request)):
        return render(request, "identity/saml_logged_out.html")
