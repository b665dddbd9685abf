from django.urls import path

from closing import views

app_name = "closing"
urlpatterns = [
    path("", views.after_chat, name="after_chat"),
    path("transcript/", views.transcript, name="transcript"),
]
