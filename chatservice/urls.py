from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.urls import include, path, reverse

from chatservice import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("allauth.urls")),
    # Administrators log in like everyone else on staff: e-mail, password, TOTP.
    path(
        "admin/login/",
        lambda request: redirect_to_login(
            request.GET.get("next", "/admin/"), login_url=reverse("account_login")
        ),
    ),
    path("admin/", admin.site.urls),
    path("staff/", include("staff.urls")),
]
urlpatterns += i18n_patterns(
    path("", include("customers.urls")),
    prefix_default_language=False,
)
