from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import render

from conversations import selectors


@staff_member_required
def dashboard(request):
    service_ids = selectors.service_ids_for_staff(user=request.user)
    return render(
        request,
        "staff/dashboard.html",
        {"queue": selectors.waiting_conversations(service_ids=service_ids)},
    )
