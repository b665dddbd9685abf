"""Services are configured here; conversations are shown in the staff app's
admin, where every view is audited."""

from django.contrib import admin

from conversations.models import OpeningHours, Service, ServiceException


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
    ]
    list_filter = ["is_active"]
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
    ]
