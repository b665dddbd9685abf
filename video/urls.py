from django.urls import path

from video import views

app_name = "video"
urlpatterns = [
    path("video/check/", views.connection_check, name="check"),
]
