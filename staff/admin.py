"""Staff accounts and the staff side's admin-managed texts; the close reasons'
names in the conversation admin; the TOTP authenticators in the admin's language."""

from allauth.mfa.models import Authenticator
from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from conversations import limits
from conversations.admin import ConversationAdmin
from conversations.models import Conversation
from staff import actions as staff_actions
from staff.forms import StaffUserChangeForm, StaffUserCreationForm
from staff.models import CannedReply, CloseReasonOption, User


class ServiceMembershipForm(forms.ModelForm):
    class Meta:
        labels = {"service": _("service")}


class ServiceMembershipInline(admin.TabularInline):
    model = User.services.through
    form = ServiceMembershipForm
    extra = 0
    verbose_name = _("service")
    verbose_name_plural = _("services")


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    # Login is by e-mail: an account without one cannot log in, and a second
    # account with an empty address used to fail on the unique column.
    form = StaffUserChangeForm
    add_form = StaffUserCreationForm
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "username", "usable_password", "password1", "password2"),
            },
        ),
    )
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
        (
            _("Professional"),
            {"fields": ["max_active_chats", "is_supervisor", "presence", "languages"]},
        ),
    )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # A deactivated account (or one no longer staff) loses its open sockets at once.
        lost_access = not (obj.is_active and obj.is_staff)
        if change and lost_access and {"is_active", "is_staff"} & set(form.changed_data):
            staff_actions.end_staff_sockets(user_id=obj.pk)


@admin.register(CloseReasonOption)
class CloseReasonOptionAdmin(admin.ModelAdmin):
    list_display = ["code", "label_sv", "label_fi", "label_en", "ordering", "is_active"]
    list_editable = ["ordering", "is_active"]


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    list_display = ["shortcut", "title", "language", "service", "ordering", "is_active"]
    list_filter = ["language", "service", "is_active"]
    search_fields = ["shortcut", "title", "body"]


class CloseReasonFilter(admin.SimpleListFilter):
    """The professionals' close reasons by name, not by code."""

    title = _("close reason")
    parameter_name = "close_reason"

    def lookups(self, request, model_admin):
        return [(reason.code, reason.label) for reason in CloseReasonOption.objects.all()]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(close_reason=self.value())
        return queryset


admin.site.unregister(Conversation)


@admin.register(Conversation)
class ConversationWithReasonsAdmin(ConversationAdmin):
    """The conversation admin (conversations.admin) with the close reasons' names:
    the reasons are managed here, in the app above, so the names are added here."""

    list_display = [
        "close_reason_name" if name == "close_reason" else name
        for name in ConversationAdmin.list_display
    ]
    list_filter = [
        CloseReasonFilter if name == "close_reason" else name
        for name in ConversationAdmin.list_filter
    ]

    def get_queryset(self, request):
        label = f"label_{limits.served_language(get_language())}"
        name = CloseReasonOption.objects.filter(code=OuterRef("close_reason")).values(label)[:1]
        return (
            super()
            .get_queryset(request)
            .annotate(close_reason_name=Coalesce(Subquery(name), "close_reason"))
        )

    @admin.display(description=_("close reason"), ordering="close_reason")
    def close_reason_name(self, conversation) -> str:
        return conversation.close_reason_name


admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(admin.ModelAdmin):
    """allauth's two-factor authenticators, with labels in the admin's language.
    An administrator only looks and deletes (a professional who lost their
    phone sets TOTP up again); the secret is never shown."""

    list_display = ["owner", "kind", "created", "last_used"]
    fields = ["owner", "kind", "created", "last_used"]
    readonly_fields = ["owner", "kind", "created", "last_used"]
    search_fields = ["user__email"]
    list_select_related = ["user"]

    @admin.display(description=_("staff user"), ordering="user__email")
    def owner(self, authenticator) -> str:
        return str(authenticator.user)

    @admin.display(description=_("type"), ordering="type")
    def kind(self, authenticator) -> str:
        return authenticator.get_type_display()

    @admin.display(description=_("created"), ordering="created_at")
    def created(self, authenticator):
        return authenticator.created_at

    @admin.display(description=_("last used"), ordering="last_used_at")
    def last_used(self, authenticator):
        return authenticator.last_used_at

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
