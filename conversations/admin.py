"""Services are configured here; conversations and the audit log are shown
read-only, and every view of a conversation is audited."""

import csv

from django.contrib import admin
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _

from conversations.actions import record_audit
from conversations.models import (
    AuditAction,
    AuditEntry,
    Conversation,
    Message,
    OpeningHours,
    Service,
    ServiceException,
)


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


class ServiceExceptionInline(admin.TabularInline):
    model = ServiceException
    extra = 0


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = [
        "slug",
        "name_sv",
        "name_fi",
        "name_en",
        "is_active",
        "ordering",
        "max_wait_minutes",
        "retention_days",
        "transcripts_enabled",
    ]
    list_filter = ["is_active", "transcripts_enabled"]
    list_editable = ["is_active", "ordering"]
    search_fields = ["slug", "name_sv", "name_fi", "name_en"]
    filter_horizontal = ["professionals"]
    inlines = [OpeningHoursInline, ServiceExceptionInline]
    fieldsets = [
        (None, {"fields": ["slug", "is_active", "ordering"]}),
        (
            "Svenska / Suomi / English",
            {
                "fields": [
                    "name_sv",
                    "name_fi",
                    "name_en",
                    "description_sv",
                    "description_fi",
                    "description_en",
                    "closed_info_sv",
                    "closed_info_fi",
                    "closed_info_en",
                ]
            },
        ),
        (None, {"fields": ["max_wait_minutes", "retention_days", "professionals"]}),
        (
            _("After the conversation"),
            {
                "fields": [
                    "transcripts_enabled",
                    "professional_display",
                    "professional_title_sv",
                    "professional_title_fi",
                    "professional_title_en",
                ]
            },
        ),
        # callbacks app: "call me back instead", contact requests while closed.
        (_("Call-backs"), {"fields": ["callback_after_minutes", "contact_requests"]}),
    ]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MessageInline(admin.TabularInline):
    model = Message
    fields = ["seq", "author_kind", "body", "created_at"]
    readonly_fields = ["seq", "author_kind", "body", "created_at"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Conversation)
class ConversationAdmin(ReadOnlyAdmin):
    """Read-only: conversations change only through the chat's actions. Opening
    one here is audited like opening it on the dashboard."""

    list_display = [
        "id",
        "service",
        "status",
        "assigned_to",
        "language",
        "created_at",
        "closed_at",
        "close_reason",
    ]
    list_filter = ["status", "service", "language", "close_reason"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Conversation._meta.fields]
    inlines = [MessageInline]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if object_id and object_id.isdigit():
            record_audit(
                user=request.user,
                action=AuditAction.VIEW_IN_ADMIN,
                conversation_id=int(object_id),
                address=request.META.get("REMOTE_ADDR"),
            )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "action", "conversation_id", "address", "detail"]
    list_filter = ["action", "created_at", "user"]
    search_fields = ["conversation_id", "user__email", "address"]
    date_hierarchy = "created_at"
    actions = ["export_csv"]

    @admin.action(description=_("Export the selected entries as CSV"))
    def export_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
        writer = csv.writer(response)
        writer.writerow(["time", "user", "action", "conversation", "address", "detail"])
        for entry in queryset.select_related("user").order_by("created_at", "id"):
            writer.writerow(
                [
                    entry.created_at.isoformat(),
                    entry.user.email,
                    entry.action,
                    entry.conversation_id or "",
                    entry.address or "",
                    entry.detail,
                ]
            )
        record_audit(
            user=request.user,
            action=AuditAction.EXPORT_AUDIT,
            address=request.META.get("REMOTE_ADDR"),
        )
        return response

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser
