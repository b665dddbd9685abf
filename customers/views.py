"""The resident's pages. The widget's pages (inside the chatbot panel) may be
framed by the county's site; the rest may not. Every widget page depends on the
session (whether a conversation is open, and its content), so none may be stored
by the browser or a proxy (`never_cache`: Cache-Control no-store, private)."""

from django.conf import settings
from django.contrib import messages
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_http_methods

from conversations import hours, selectors
from conversations.consumers import CLOSE_NO_CONVERSATION
from conversations.errors import DomainError
from conversations.limits import page_limits
from crisis import selectors as crisis_selectors
from customers import actions, ratelimit
from customers.forms import IntakeForm
from customers.models import ChatbotTopic
from customers.selectors import chat_page_state, service_cards
from customers.strings import chat_strings
from identity.saml import sessions as saml_sessions

# The chat page warns this long before it ends itself for idleness (WCAG 2.2.1).
RESIDENT_IDLE_WARNING_SECONDS = 120


def front(request):
    """A demo page of the county's website with the chatbot at the bottom right."""
    return render(request, "customers/front.html")


def privacy(request):
    return render(request, "customers/privacy.html")


def _open_conversation(request):
    conversation = selectors.conversation_for_resident(session=request.session)
    return conversation if conversation is not None and conversation.is_open else None


@xframe_options_exempt
@never_cache
def widget_menu(request):
    topics = ChatbotTopic.objects.filter(is_active=True, parent=None).prefetch_related(
        Prefetch("children", queryset=ChatbotTopic.objects.filter(is_active=True))
    )
    return render(
        request,
        "customers/widget/menu.html",
        {"topics": topics, "conversation": _open_conversation(request)},
    )


@xframe_options_exempt
@never_cache
def service_list(request):
    if _open_conversation(request):
        return redirect("customers:chat")
    return render(request, "customers/widget/services.html", {"cards": service_cards()})


@xframe_options_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def intake(request, slug):
    if _open_conversation(request):
        return redirect("customers:chat")
    service = get_object_or_404(selectors.services_with_hours(), slug=slug)
    if not hours.is_open(service):
        return render(
            request,
            "customers/widget/closed.html",
            {"service": service, "next_opening": hours.next_opening(service)},
        )
    form = IntakeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        # Only conversations actually started count against the limit: a resident's
        # typing errors never lock them out. See ratelimit.address_key for the key.
        address = ratelimit.address_key(ratelimit.client_address(request))
        window = settings.INTAKE_RATE_WINDOW_SECONDS
        if ratelimit.exceeded(
            scope="intake", key=address, limit=settings.INTAKE_RATE_LIMIT, window_seconds=window
        ):
            form.add_error(
                None,
                _(
                    "Too many chats were started from this address. Please try again in a few minutes."
                ),
            )
            status = 429
        elif form.is_valid():
            try:
                actions.start_conversation(
                    session=request.session,
                    service=service,
                    language=get_language() or "sv",
                    identity_codes_masked=form.identity_codes_masked,
                    **form.cleaned_data,
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
                # Refused like an invalid form (a 200 would read as accepted).
                status = 409 if exc.code in ("service_unavailable", "service_closed") else 400
            else:
                ratelimit.record(scope="intake", key=address, window_seconds=window)
                if form.identity_codes_masked:
                    # Told on the chat page, as the chat tells of a masked message.
                    messages.warning(
                        request,
                        _(
                            "A personal identity code was hidden from what you wrote. Never "
                            "type your identity code in the chat: if it is needed, the "
                            "professional asks you to identify yourself."
                        ),
                    )
                return redirect("customers:chat")
        else:
            status = 400
    return render(
        request, "customers/widget/intake.html", {"service": service, "form": form}, status=status
    )


@xframe_options_exempt
@never_cache
def chat(request):
    conversation = selectors.conversation_for_resident(session=request.session)
    if conversation is None:
        return redirect("customers:widget")
    state = chat_page_state(conversation=conversation)
    config = {
        "socket_path": "/ws/v1/resident/",
        "conversation": conversation.pk,
        "status": state["status"],
        "last_seq": state["last_seq"],
        "minutes_per_position": state["minutes_per_position"],
        "max_wait_minutes": state["max_wait_minutes"],
        "idle_minutes": settings.RESIDENT_IDLE_MINUTES,
        "idle_warning_seconds": RESIDENT_IDLE_WARNING_SECONDS,
        "created": conversation.created_at.isoformat(),
        "peer_seen_seq": state.get("peer_seen_seq", 0),
        "limits": page_limits(),
        "urls": {
            "end": reverse("customers:end"),
            "menu": reverse("customers:widget"),
            "video_check": reverse("video:check"),
        },
        "close_codes": {"no_conversation": CLOSE_NO_CONVERSATION},
        "csrf_cookie": settings.CSRF_COOKIE_NAME,
        "strings": chat_strings(),
    }
    return render(
        request,
        "customers/widget/chat.html",
        {
            "conversation": conversation,
            "state": state,
            "config": config,
            "crisis": {
                "show": conversation.crisis_at is not None,
                "lines": crisis_selectors.lines(language=get_language()),
            },
        },
    )


@xframe_options_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def end(request):
    """'End and clear': confirm, then leave, end the session and clear the browser."""
    if request.method == "POST":
        # Suomi.fi single logout (identity.saml): local session ended first.
        saml_login = saml_sessions.forget(request.session)
        actions.end_and_clear(session=request.session)
        ended = reverse("customers:ended")
        response = redirect(
            saml_sessions.logout_after_end(request, saml_login, next_path=ended) or ended
        )
        # Ask the browser to drop this origin's storage and cache as well.
        response["Clear-Site-Data"] = '"cache", "storage"'
        # And its cookies: the session's goes with flush(); the CSRF token's too.
        # (Not "cookies" in Clear-Site-Data: that would clear the whole site's,
        # the county's own pages' included.)
        response.delete_cookie(
            settings.CSRF_COOKIE_NAME,
            path=settings.CSRF_COOKIE_PATH,
            domain=settings.CSRF_COOKIE_DOMAIN,
            samesite=settings.CSRF_COOKIE_SAMESITE,
        )
        return response
    return render(
        request,
        "customers/widget/end.html",
        {"conversation": selectors.conversation_for_resident(session=request.session)},
    )


@xframe_options_exempt
@never_cache
def ended(request):
    return render(request, "customers/widget/ended.html")
