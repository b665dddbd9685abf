"""The resident's end screen: loaded into the chat page's #after-chat when the
conversation has ended (static/customers/closing.js), and its e-mail form."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET, require_POST

from closing import actions
from closing.errors import ClosingError
from closing.selectors import end_screen
from conversations import selectors
from conversations.models import ConversationStatus
from identity.saml import sessions as saml_sessions

ERROR_STATUS = {"rate_limited": 429, "link_expired": 410, "transcripts_off": 403}


def _closed_conversation(request):
    conversation = selectors.conversation_for_resident(session=request.session)
    if conversation is None or conversation.status != ConversationStatus.CLOSED:
        raise Http404
    return conversation


def _render(request, conversation, *, status=200, **extra):
    context = {
        **end_screen(conversation=conversation),
        # Identified through Suomi.fi (SAML): the resident can end that session too.
        "saml_logout": saml_sessions.current(request.session) is not None,
        **extra,
    }
    # closing.js asks for the fragment; a browser without it gets a whole page.
    fragment = request.headers.get("X-Fragment") == "1"
    template = "closing/after_chat.html" if fragment else "closing/after_chat_page.html"
    response = render(request, template, context, status=status)
    response["X-End-Screen"] = "1"
    return response


@xframe_options_exempt
@never_cache
@require_GET
def after_chat(request):
    return _render(request, _closed_conversation(request))


@xframe_options_exempt
@never_cache
@require_POST
def transcript(request):
    conversation = _closed_conversation(request)
    try:
        actions.request_transcript(
            conversation_id=conversation.pk,
            token=request.POST.get("token", ""),
            email=request.POST.get("email", ""),
        )
    except ClosingError as error:
        return _render(
            request,
            conversation,
            status=ERROR_STATUS.get(error.code, 400),
            error=error.message,
            email=request.POST.get("email", "")[: actions.EMAIL_MAX],
        )
    return _render(request, conversation, queued=True)
