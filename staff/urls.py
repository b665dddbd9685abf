from django.urls import path

from staff import views

app_name = "staff"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("profile/", views.profile, name="profile"),
    path("supervisor/", views.supervisor, name="supervisor"),
    path("supervisor/figures/", views.supervisor_data, name="supervisor_data"),
    path("supervisor/reports/", views.supervisor_report, name="supervisor_report"),
    path("supervisor/reports.csv", views.supervisor_report_csv, name="supervisor_report_csv"),
    path("keepalive/", views.keepalive, name="keepalive"),
]
