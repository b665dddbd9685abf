from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from chatservice import health, metrics

# A database outage becomes the translated 503 page, also when it hits a middleware.
handler500 = "chatservice.views.server_error"
# Translated error pages in the site's look, frameable inside the chatbot panel.
handler400 = "customers.errors.bad_request"
handler403 = "customers.errors.permission_denied"
handler404 = "customers.errors.page_not_found"

# Not translated: probes, the language switch, the admin (in the county's default
# language) and, in chatservice.routing, the sockets.
urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    # Prometheus; only from METRICS_ALLOWED_NETWORKS or with METRICS_TOKEN.
    path("metrics", metrics.metrics, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Strong identification: the link, the provider's callback, our JWKS (and the stand-in).
    path("identify/", include("identity.urls")),
    # Video: the pre-call connection test against the server's own WebRTC peer.
    path("", include("video.urls")),
    # Attachments: upload (resident, professional) and the authorised download.
    path("attachments/", include("attachments.urls")),
    # Only administrators (staff.admin_site), who log in through the staff login.
    path("admin/", admin.site.urls),
]
# The resident's and the professional's pages: Swedish without a prefix, /fi/ and /en/.
urlpatterns += i18n_patterns(
    path("accounts/", include("allauth.urls")),
    path("staff/", include("staff.urls")),
    # After the conversation: the end screen (inside the chat panel) and the survey.
    path("widget/after-chat/", include("closing.urls")),
    path("survey/", include("surveys.urls")),
    # Call-back instead of waiting, and contact requests while a service is closed.
    path("", include("callbacks.urls")),
    path("", include("customers.urls")),
    prefix_default_language=False,
)
