from django.contrib import admin

from conversations.models import Conversation, OpeningHours, Service, ServiceException


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


class ServiceExceptionInline(admin.TabularInline):
    model = ServiceException
    extra = 0


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["slug", "name_sv", "name_fi", "name_en", "is_active", "ordering"]
    list_filter = ["is_active"]
    search_fields = ["slug", "name_sv", "name_fi", "name_en"]
    filter_horizontal = ["professionals"]
    inlines = [OpeningHoursInline, ServiceExceptionInline]


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    """Read-only: conversations change only through the chat's actions."""

    list_display = ["id", "service", "status", "assigned_to", "created_at", "closed_at"]
    list_filter = ["status", "service"]
    readonly_fields = [f.name for f in Conversation._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
