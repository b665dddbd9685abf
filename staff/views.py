"""The professional's pages. The work itself happens over the staff socket."""

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from staff.selectors import dashboard_config, supervisor_figures
from staff.strings import dashboard_strings


def staff_required(view):
    return staff_member_required(view, login_url="account_login")


@staff_required
def dashboard(request):
    config = dashboard_config(user=request.user)
    config["strings"] = dashboard_strings()
    config["socket_path"] = "/ws/v1/staff/"
    return render(request, "staff/dashboard.html", {"config": config})


def _supervisor(request):
    if not request.user.is_supervisor:
        raise PermissionDenied


@staff_required
def supervisor(request):
    _supervisor(request)
    return render(
        request, "staff/supervisor.html", {"figures": supervisor_figures(user=request.user)}
    )


@staff_required
def supervisor_data(request):
    _supervisor(request)
    return JsonResponse(supervisor_figures(user=request.user))


@staff_required
@require_POST
def keepalive(request):
    """The dashboard calls this while the professional is active, so an idle
    session expires but a working one does not."""
    return JsonResponse({"status": "ok"})
