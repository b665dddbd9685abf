"""The admin site: for administrators only, not for every professional.

Every professional is `is_staff` (that opens the dashboard), so Django's own
rule would let each of them into `/admin/`. Here only superusers and users an
administrator has given admin rights (a group or permissions: an admin role)
may enter."""

from functools import wraps

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class AdminSite(admin.AdminSite):
    site_header = _("Chat service administration")
    site_title = _("Chat service administration")
    index_title = _("Administration")

    def has_permission(self, request) -> bool:
        user = request.user
        return bool(
            user.is_active and user.is_staff and (user.is_superuser or user.get_all_permissions())
        )

    def admin_view(self, view, cacheable=False):
        """Django's wrapper, plus: an action posted with selected ids that are not
        ids of the list's model (`abc`, `1e3`) is a bad request (400). Django's
        admin would pass them to the database lookup, which raises: a 500."""
        inner = super().admin_view(view, cacheable)

        @wraps(view)
        def checked(request, *args, **kwargs):
            if request.method == "POST" and request.POST.get("action"):
                self._check_selected_ids(request)
            return inner(request, *args, **kwargs)

        return checked

    def _check_selected_ids(self, request) -> None:
        match = request.resolver_match
        url_name = match.url_name if match is not None else ""
        for model in self._registry:
            meta = model._meta
            if url_name == f"{meta.app_label}_{meta.model_name}_changelist":
                for value in request.POST.getlist(ACTION_CHECKBOX_NAME):
                    try:
                        meta.pk.to_python(value)
                    except ValidationError:
                        raise BadRequest("selected ids of another type") from None
                return

    def login(self, request, extra_context=None):
        """Administrators log in like everyone else on staff (e-mail, password,
        TOTP); a professional who is logged in but no administrator gets 403."""
        # Here, not at the top: this module is loaded with INSTALLED_APPS, before models.
        from django.contrib.auth.views import redirect_to_login

        index = reverse("admin:index", current_app=self.name)
        if self.has_permission(request):
            return redirect(index)
        if request.user.is_authenticated:
            raise PermissionDenied
        return redirect_to_login(
            request.GET.get(REDIRECT_FIELD_NAME, index), login_url=reverse("account_login")
        )


class AdminConfig(DjangoAdminConfig):
    """django.contrib.admin with the site above as `admin.site`."""

    default_site = "staff.admin_site.AdminSite"
