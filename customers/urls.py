from django.urls import path

from customers import views

app_name = "customers"
urlpatterns = [
    path("", views.front, name="front"),
    path("privacy/", views.privacy, name="privacy"),
    path("widget/", views.widget_menu, name="widget"),
    path("widget/services/", views.service_list, name="services"),
    path("widget/services/<slug:slug>/", views.intake, name="intake"),
    path("widget/chat/", views.chat, name="chat"),
    path("widget/end/", views.end, name="end"),
    path("widget/ended/", views.ended, name="ended"),
]
