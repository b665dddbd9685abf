import csv

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _

from conversations.models import Conversation, Message
from staff import actions
from staff.models import AuditAction, AuditEntry, CannedReply, CloseReasonOption, User


class ServiceMembershipInline(admin.TabularInline):
    model = User.services.through
    extra = 0
    verbose_name = _("service")
    verbose_name_plural = _("services")


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    list_display = [
        "email",
        "first_name",
        "last_name",
        "is_staff",
        "is_supervisor",
        "max_active_chats",
        "presence",
    ]
    list_filter = ["is_staff", "is_supervisor", "is_superuser", "is_active", "services"]
    search_fields = ["email", "first_name", "last_name"]
    ordering = ["email"]
    inlines = [ServiceMembershipInline]
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        (_("Professional"), {"fields": ["max_active_chats", "is_supervisor", "presence"]}),
    )


@admin.register(CloseReasonOption)
class CloseReasonOptionAdmin(admin.ModelAdmin):
    list_display = ["code", "label_sv", "label_fi", "label_en", "ordering", "is_active"]
    list_editable = ["ordering", "is_active"]


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    list_display = ["shortcut", "title", "language", "service", "ordering", "is_active"]
    list_filter = ["language", "service", "is_active"]
    search_fields = ["shortcut", "title", "body"]


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
            actions.record_audit(
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
        actions.record_audit(
            user=request.user,
            action=AuditAction.EXPORT_AUDIT,
            address=request.META.get("REMOTE_ADDR"),
        )
        return response

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser
