"""The connection test's endpoint: an offer in, the server peer's answer out (JSON)."""

from __future__ import annotations

import json

from asgiref.sync import sync_to_async
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from conversations.selectors import conversation_for_resident
from video.echo import MAX_SDP_CHARS, checks
from video.errors import VideoError

STATUS = {"check_unavailable": 503, "check_busy": 429, "invalid_offer": 400}


def _may_test(request: HttpRequest) -> bool:
    """A resident with a conversation in this session, or a professional."""
    if request.user.is_authenticated:  # only staff accounts log in
        return request.user.is_active
    return conversation_for_resident(session=request.session) is not None


@never_cache
@require_POST
async def connection_check(request: HttpRequest) -> JsonResponse:
    if not await sync_to_async(_may_test)(request):
        return JsonResponse({"code": "forbidden"}, status=403)
    try:
        if len(request.body) > MAX_SDP_CHARS * 2:
            raise VideoError("invalid_offer")
        try:
            offer = json.loads(request.body)
        except ValueError:
            raise VideoError("invalid_offer") from None
        if not isinstance(offer, dict):
            raise VideoError("invalid_offer")
        answer = await checks.answer(offer)
    except VideoError as error:
        return JsonResponse(
            {"code": error.code, "message": error.message}, status=STATUS[error.code]
        )
    return JsonResponse(answer)
