from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from chatservice import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("staff/", include("staff.urls")),
]
urlpatterns += i18n_patterns(
    path("", include("customers.urls")),
    prefix_default_language=False,
)
