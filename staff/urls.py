from django.urls import path

from staff import views

app_name = "staff"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("supervisor/", views.supervisor, name="supervisor"),
    path("supervisor/figures/", views.supervisor_data, name="supervisor_data"),
    path("keepalive/", views.keepalive, name="keepalive"),
]
