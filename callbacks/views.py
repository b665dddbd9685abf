"""The resident's call-back requests over HTTP: "call me back instead" on the
chat page, and the contact request on a closed service's page. Thin: the rules
are in callbacks.actions."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_POST

from callbacks import actions, selectors
from callbacks.errors import CallbackError
from callbacks.forms import ContactRequestForm
from conversations import hours
from conversations.selectors import conversation_for_resident, services_with_hours
from crisis import actions as crisis_actions
from customers import ratelimit


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("X-Fragment") == "1"


@xframe_options_exempt
@never_cache
@require_POST
def request_callback(request: HttpRequest) -> HttpResponse:
    """The waiting resident asks to be called back instead (their session's own
    conversation). The chat page sends it with fetch and shows the answer; without
    script the form posts and the page reloads with the answer."""
    conversation = conversation_for_resident(session=request.session)
    if conversation is None:
        raise Http404
    try:
        conversation = actions.request_callback(conversation_id=conversation.pk)
    except CallbackError as error:
        if _wants_json(request):
            return JsonResponse(
                {"error": {"code": error.code, "message": error.message}}, status=409
            )
        messages.error(request, error.message)
        return redirect("customers:chat")
    state = selectors.resident_callback(conversation=conversation)
    if _wants_json(request):
        return JsonResponse({"state": state["state"], "phone_end": state["phone_end"]})
    return redirect("customers:chat")


def _closed_page(request, service, form, status: int = 200) -> HttpResponse:
    return render(
        request,
        "customers/widget/closed.html",
        {"service": service, "next_opening": hours.next_opening(service), "contact_form": form},
        status=status,
    )


@xframe_options_exempt
@never_cache
@require_POST
def contact_request(request: HttpRequest, slug: str) -> HttpResponse:
    """A contact request on a closed service's page: the intake's checks and rate
    limit (the same counter: chats and contact requests from one address)."""
    conversation = conversation_for_resident(session=request.session)
    if conversation is not None and conversation.is_open:
        return redirect("customers:chat")
    service = get_object_or_404(services_with_hours(), slug=slug)
    if not service.contact_requests:
        raise Http404
    if hours.is_open(service):
        return redirect("customers:intake", slug=slug)
    form = ContactRequestForm(request.POST)
    address = ratelimit.address_key(ratelimit.client_address(request))
    window = settings.INTAKE_RATE_WINDOW_SECONDS
    if ratelimit.exceeded(
        scope="intake", key=address, limit=settings.INTAKE_RATE_LIMIT, window_seconds=window
    ):
        form.add_error(
            None,
            _("Too many requests were sent from this address. Please try again in a few minutes."),
        )
        return _closed_page(request, service, form, status=429)
    if not form.is_valid():
        return _closed_page(request, service, form, status=400)
    try:
        created = actions.leave_contact_request(
            service=service,
            language=get_language() or "sv",
            identity_codes_masked=form.identity_codes_masked,
            **form.cleaned_data,
        )
    except CallbackError as error:
        form.add_error(None, error.message)
        return _closed_page(request, service, form, status=409)
    ratelimit.record(scope="intake", key=address, window_seconds=window)
    # A crisis phrase in the matter: the request waits at the front of the queue.
    crisis_actions.check_intake(conversation_id=created.pk)
    if form.identity_codes_masked:
        messages.warning(
            request,
            _(
                "A personal identity code was hidden from what you wrote. Never "
                "type your identity code in the chat: if it is needed, the "
                "professional asks you to identify yourself."
            ),
        )
    return redirect("callbacks:contact_sent", slug=slug)


@xframe_options_exempt
@never_cache
def contact_sent(request: HttpRequest, slug: str) -> HttpResponse:
    """The confirmation: when to expect the call. Nothing personal on it."""
    service = get_object_or_404(services_with_hours(), slug=slug)
    return render(
        request,
        "callbacks/contact_sent.html",
        {"service": service, "next_opening": hours.next_opening(service)},
    )
