"""The stand-in SAML identity provider's endpoints (identity.standin.saml_idp).
All answer 404 unless IDENTITY_STANDIN_ENABLED (never in production)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from identity.providers.base import Site
from identity.standin.persons import EIDAS_PERSON, PERSONS
from identity.standin.views import _page, enabled_only

if TYPE_CHECKING:
    from identity.standin import saml_idp


def _idp():
    # pysaml2 is loaded only when the stand-in SAML IdP is used.
    from identity.standin import saml_idp

    return saml_idp


def _site(request: HttpRequest) -> Site:
    return Site(origin=f"{request.scheme}://{request.get_host()}")


def _single(query) -> dict[str, str]:
    return {key: values[0] for key, values in query.lists() if len(values) == 1}


@enabled_only
@require_GET
def metadata(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        _idp().metadata_xml(_site(request)), content_type="application/samlmetadata+xml"
    )


def _chooser(
    request: HttpRequest,
    pending: saml_idp.Pending,
    transaction: str,
    *,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    methods = _idp().methods_for(pending)
    return _page(
        request,
        "identity/standin/authorize.html",
        {
            "transaction": transaction,
            "persons": PERSONS,
            "eidas_person": EIDAS_PERSON,
            "finnish_methods": [m for m in methods if m != "eidas"],
            "eidas": "eidas" in methods,
            "error": error,
            "saml": True,
        },
        status=status,
    )


def _post_back(request: HttpRequest, post: saml_idp.PostBack) -> HttpResponse:
    # Like Suomi.fi's "continue to the service" page: a form the person submits
    # (no script: this site's CSP allows no inline script).
    return _page(request, "identity/standin/saml_post.html", {"post": post})


@enabled_only
@never_cache
@require_http_methods(["GET", "POST"])
def sso(request: HttpRequest) -> HttpResponse:
    """GET: the AuthnRequest (HTTP-Redirect, signed), then the chooser.
    POST: the tester's choice (a person and a method, or cancel)."""
    site = _site(request)
    if request.method == "GET":
        try:
            transaction, pending = _idp().open_request(site, _single(request.GET))
        except _idp().RequestRefused as refused:
            with translation.override(translation.get_language_from_request(request)):
                return _page(
                    request,
                    "identity/standin/error.html",
                    {"error": {"error": "invalid_request", "description": str(refused)}},
                    status=400,
                )
        with translation.override(pending.language or settings.LANGUAGE_CODE):
            return _chooser(request, pending, transaction)

    transaction = request.POST.get("transaction", "")
    waiting = _idp().peek(transaction)
    if waiting is None:
        with translation.override(translation.get_language_from_request(request)):
            return _page(request, "identity/standin/error.html", {"expired": True}, status=400)
    with translation.override(waiting.language or settings.LANGUAGE_CODE):
        action = request.POST.get("action")
        methods = _idp().methods_for(waiting)
        person, method = None, ""
        if action == "eidas" and "eidas" in methods:
            person, method = EIDAS_PERSON, "eidas"
        elif action == "identify":
            person = next((p for p in PERSONS if p.key == request.POST.get("person")), None)
            method = request.POST.get("method", "")
            if method not in methods or method == "eidas":
                person = None
        if action != "cancel" and person is None:
            return _chooser(
                request,
                waiting,
                transaction,
                error=str(
                    translation.gettext("Choose a test person and an identification method.")
                ),
                status=400,
            )
        taken = _idp().take(transaction)
        if taken is None:
            return _page(request, "identity/standin/error.html", {"expired": True}, status=400)
        if action == "cancel" or person is None:
            return _post_back(request, _idp().cancel(site, taken))
        return _post_back(request, _idp().respond(site, taken, person=person, method=method))


@enabled_only
@never_cache
@require_GET
def slo(request: HttpRequest) -> HttpResponse:
    """The service provider's LogoutRequest (answered), or its LogoutResponse to
    a logout the stand-in started (a plain page)."""
    params = _single(request.GET)
    with translation.override(translation.get_language_from_request(request)):
        if "SAMLRequest" in params:
            try:
                return HttpResponseRedirect(_idp().answer_logout(_site(request), params))
            except _idp().RequestRefused as refused:
                return _page(
                    request,
                    "identity/standin/error.html",
                    {"error": {"error": "invalid_request", "description": str(refused)}},
                    status=400,
                )
        return _page(request, "identity/saml_logged_out.html", {})
