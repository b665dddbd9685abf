"""The admin site: for administrators only, not for every professional.

Every professional is `is_staff` (that opens the dashboard), so Django's own
rule would let each of them into `/admin/`. Here only superusers and users an
administrator has given admin rights (a group or permissions: an admin role)
may enter."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import PermissionDenied
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
