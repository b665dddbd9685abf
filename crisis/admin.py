"""Administrators keep the phrases and the crisis lines here."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from crisis import selectors
from crisis.models import CrisisLine, CrisisPhrase


@admin.register(CrisisPhrase)
class CrisisPhraseAdmin(admin.ModelAdmin):
    list_display = ["phrase", "language", "is_active"]
    list_filter = ["language", "is_active"]
    list_editable = ["is_active"]
    search_fields = ["phrase"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        selectors.forget_phrases()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        selectors.forget_phrases()


@admin.register(CrisisLine)
class CrisisLineAdmin(admin.ModelAdmin):
    list_display = ["name_sv", "phone", "ordering", "is_active"]
    list_editable = ["ordering", "is_active"]
    fieldsets = [
        (None, {"fields": ["phone", "ordering", "is_active"]}),
        (_("Swedish"), {"fields": ["name_sv", "hours_sv"]}),
        (_("Finnish"), {"fields": ["name_fi", "hours_fi"]}),
        (_("English"), {"fields": ["name_en", "hours_en"]}),
    ]
