from django.urls import path

from attachments import views

app_name = "attachments"
urlpatterns = [
    path("upload/", views.resident_upload, name="resident_upload"),
    path("staff/<int:conversation_id>/upload/", views.staff_upload, name="staff_upload"),
    path("<uuid:public_id>/", views.download, name="download"),
]
