from django.shortcuts import render

from conversations import hours
from conversations.selectors import services_with_hours


def home(request):
    services = [(s, hours.is_open(s)) for s in services_with_hours()]
    return render(request, "customers/home.html", {"services": services})
