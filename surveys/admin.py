"""Surveys are defined here (per service or global); answers are read-only."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from surveys.models import Survey, SurveyResponse


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "is_active", "ask_comment"]
    list_filter = ["is_active"]
    fieldsets = [
        (None, {"fields": ["service", "is_active", "ask_comment", "comment_max_chars"]}),
        (
            _("Swedish"),
            {
                "fields": [
                    f"{f}_sv"
                    for f in ("intro", "satisfaction_question", "help_question", "comment_question")
                ]
            },
        ),
        (
            _("Finnish"),
            {
                "fields": [
                    f"{f}_fi"
                    for f in ("intro", "satisfaction_question", "help_question", "comment_question")
                ]
            },
        ),
        (
            _("English"),
            {
                "fields": [
                    f"{f}_en"
                    for f in ("intro", "satisfaction_question", "help_question", "comment_question")
                ]
            },
        ),
    ]


@admin.register(SurveyResponse)
class SurveyResponseAdmin(admin.ModelAdmin):
    """Anonymous answers, read-only (nobody edits what residents said)."""

    list_display = ["started_hour", "service", "professional", "satisfaction", "help_received"]
    list_filter = ["service", "satisfaction", "help_received"]
    date_hierarchy = "started_hour"
    readonly_fields = [
        "survey",
        "service",
        "professional",
        "language",
        "started_hour",
        "satisfaction",
        "help_received",
        "comment",
    ]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
