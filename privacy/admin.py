"""The operator's data-protection actions on the (read-only) conversation list.

Added to conversations' ConversationAdmin from here, so that the core does not
import this app (imports point one way)."""

import json

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from conversations.admin import ConversationAdmin
from privacy import actions


def _administrator(request) -> bool:
    return bool(request.user.is_active and request.user.is_superuser)


@admin.action(description=_("Export the selected conversations' resident data (JSON)"))
def export_resident_data(modeladmin, request, queryset):
    if not _administrator(request):
        modeladmin.message_user(request, _("Only administrators may do this."), messages.ERROR)
        return None
    data = actions.export_resident_data(
        user=request.user, conversation_ids=list(queryset.values_list("pk", flat=True))
    )
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json"
    )
    response["Content-Disposition"] = 'attachment; filename="resident-data.json"'
    response["Cache-Control"] = "no-store"
    return response


@admin.action(description=_("Erase the selected conversations' resident data"))
def erase_resident_data(modeladmin, request, queryset):
    if not _administrator(request):
        modeladmin.message_user(request, _("Only administrators may do this."), messages.ERROR)
        return None
    ids = sorted(queryset.values_list("pk", flat=True))
    if request.POST.get("confirm") != "yes":
        # An intermediate page, like Django's own delete action.
        return TemplateResponse(
            request,
            "privacy/confirm_erase.html",
            {
                **modeladmin.admin_site.each_context(request),
                "title": _("Erase resident data"),
                "ids": ids,
                "opts": modeladmin.model._meta,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            },
        )
    try:
        count = actions.erase_resident_data(user=request.user, conversation_ids=ids)
    except actions.ErasureRefused:
        modeladmin.message_user(
            request, _("Open conversations cannot be erased: close them first."), messages.ERROR
        )
        return None
    modeladmin.message_user(
        request, _("Erased %(count)d conversation(s).") % {"count": count}, messages.SUCCESS
    )
    return None


# Class attributes of Django's generic ModelAdmin (mypy cannot tell the instance type).
ConversationAdmin.actions = [  # type: ignore[misc]
    *(ConversationAdmin.actions or []),  # type: ignore[misc]
    export_resident_data,
    erase_resident_data,
]
