from django.urls import path

from callbacks import views

app_name = "callbacks"
urlpatterns = [
    path("widget/callback/", views.request_callback, name="request"),
    path("widget/services/<slug:slug>/contact/", views.contact_request, name="contact"),
    path("widget/services/<slug:slug>/contact/sent/", views.contact_sent, name="contact_sent"),
]
