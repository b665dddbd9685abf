"""The stand-in provider's endpoints. All answer 404 unless
IDENTITY_STANDIN_ENABLED (never in production: settings refuse it)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from identity.standin import server
from identity.standin.persons import EIDAS_PERSON, PERSONS


def enabled_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not settings.IDENTITY_STANDIN_ENABLED:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _issuer(request: HttpRequest) -> str:
    return server.issuer_for(f"{request.scheme}://{request.get_host()}")


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


@enabled_only
@require_GET
def discovery(request: HttpRequest) -> JsonResponse:
    return JsonResponse(server.discovery(_issuer(request)))


@enabled_only
@require_GET
def jwks(request: HttpRequest) -> JsonResponse:
    return JsonResponse(server.jwks())


@csrf_exempt  # a back-channel call authenticated by private_key_jwt, not a browser form
@enabled_only
@require_POST
def token(request: HttpRequest) -> HttpResponse:
    if request.content_type != "application/x-www-form-urlencoded":
        return _no_store(JsonResponse({"error": "invalid_request"}, status=400))
    status, body = server.token(_issuer(request), request.POST.dict())
    return _no_store(JsonResponse(body, status=status))


def _page(request: HttpRequest, template: str, context: dict, *, status: int = 200) -> HttpResponse:
    return _no_store(render(request, template, context, status=status))


def _choice_page(
    request: HttpRequest,
    auth: server.AuthorizationRequest,
    transaction_id: str,
    *,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    methods = server.methods_for(auth)
    return _page(
        request,
        "identity/standin/authorize.html",
        {
            "transaction": transaction_id,
            "persons": PERSONS,
            "eidas_person": EIDAS_PERSON,
            "finnish_methods": [m for m in methods if m != "eidas"],
            "eidas": "eidas" in methods,
            "error": error,
        },
        status=status,
    )


@enabled_only
@never_cache
@require_http_methods(["GET", "POST"])
def authorize(request: HttpRequest) -> HttpResponse:
    """GET: the authorization request, verified, then the identification choice.
    POST: the tester's choice (a person and a method, or cancel)."""
    issuer = _issuer(request)
    if request.method == "GET":
        try:
            auth = server.verify_authorization_request(issuer, request.GET.dict())
        except server.AuthorizationError as error:
            if error.redirect_uri:
                return HttpResponseRedirect(server.error_redirect(error, issuer))
            with translation.override(translation.get_language_from_request(request)):
                return _page(request, "identity/standin/error.html", {"error": error}, status=400)
        with translation.override(auth.ui_locale or settings.LANGUAGE_CODE):
            return _choice_page(request, auth, server.open_transaction(auth))

    transaction_id = request.POST.get("transaction", "")
    pending = server.peek_transaction(transaction_id)
    if pending is None:
        with translation.override(translation.get_language_from_request(request)):
            return _page(request, "identity/standin/error.html", {"expired": True}, status=400)
    with translation.override(pending.ui_locale or settings.LANGUAGE_CODE):
        action = request.POST.get("action")
        methods = server.methods_for(pending)
        person, method = None, ""
        if action == "eidas" and "eidas" in methods:
            person, method = EIDAS_PERSON, "eidas"
        elif action == "identify":
            person = next((p for p in PERSONS if p.key == request.POST.get("person")), None)
            method = request.POST.get("method", "")
            if method not in methods or method == "eidas":
                person = None
        elif action != "cancel":
            person = None
        if action != "cancel" and person is None:
            return _choice_page(
                request,
                pending,
                transaction_id,
                error=str(
                    translation.gettext("Choose a test person and an identification method.")
                ),
                status=400,
            )
        taken = server.take_transaction(transaction_id)
        if taken is None:  # submitted twice at once
            return _page(request, "identity/standin/error.html", {"expired": True}, status=400)
        if action == "cancel" or person is None:
            return HttpResponseRedirect(server.cancel(taken, issuer))
        return HttpResponseRedirect(server.issue_code(taken, issuer, person=person, method=method))
