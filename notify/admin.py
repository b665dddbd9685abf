"""Text messages, read-only: which conversation, which kind, how it went. No
number is stored, so none is shown."""

from django.contrib import admin

from notify.models import SmsNotice


@admin.register(SmsNotice)
class SmsNoticeAdmin(admin.ModelAdmin):
    list_display = ["conversation", "kind", "state", "attempts", "created_at", "finished_at"]
    list_filter = ["kind", "state"]
    fields = (
        "conversation",
        "kind",
        "state",
        "attempts",
        "created_at",
        "queued_at",
        "claimed_at",
        "finished_at",
    )
    readonly_fields = fields
    list_select_related = ["conversation"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
