"""The professional's pages. The work itself happens over the staff socket."""

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from conversations.actions import record_audit
from conversations.consumers import CLOSE_UNAUTHENTICATED
from conversations.limits import page_limits
from conversations.models import AuditAction
from reports.charts import daily_chart, satisfaction_chart
from reports.export import report_csv
from reports.forms import ReportForm
from reports.selectors import build_report, may_see_reports, report_services
from staff import actions as staff_actions
from staff.forms import LanguagesForm
from staff.middleware import staff_session_seconds_left
from staff.selectors import dashboard_config, supervisor_figures
from staff.strings import dashboard_strings

# The dashboard warns this long before the staff session ends (WCAG 2.2.1),
# says every this often that it is in use, and clears its status line after this.
STAFF_IDLE_WARNING_SECONDS = 120
KEEPALIVE_SECONDS = 60
STATUS_LINE_SECONDS = 10


def staff_required(view):
    return staff_member_required(view, login_url="account_login")


@staff_required
def dashboard(request):
    config = dashboard_config(user=request.user)
    config["strings"] = dashboard_strings()
    config["socket_path"] = "/ws/v1/staff/"
    config["limits"] = page_limits()
    config["close_codes"] = {"session_ended": CLOSE_UNAUTHENTICATED}
    config["urls"] = {
        "keepalive": reverse("staff:keepalive"),
        "logout": reverse("account_logout"),
        "video_check": reverse("video:check"),
    }
    config["csrf_cookie"] = settings.CSRF_COOKIE_NAME
    config["session"] = {
        "idle_seconds": settings.STAFF_IDLE_SECONDS,
        "warning_seconds": min(STAFF_IDLE_WARNING_SECONDS, settings.STAFF_IDLE_SECONDS // 2),
        "max_unattended_seconds": settings.STAFF_MAX_UNATTENDED_SECONDS,
        "keepalive_seconds": KEEPALIVE_SECONDS,
    }
    config["status_seconds"] = STATUS_LINE_SECONDS
    return render(request, "staff/dashboard.html", {"config": config})


def _supervisor(request):
    if not request.user.is_supervisor:
        raise PermissionDenied


@staff_required
@require_http_methods(["GET", "POST"])
def profile(request):
    """The professional's own settings: the languages they serve in."""
    form = LanguagesForm(request.POST if request.method == "POST" else None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        staff_actions.set_languages(user=request.user, languages=form.cleaned_data["languages"])
        messages.success(request, _("Your languages were saved."))
        return redirect("staff:profile")
    return render(request, "staff/profile.html", {"form": form}, status=400 if form.errors else 200)


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


def _report(request):
    """The report the user may see for the query string's choices: (form, report);
    the report is None when the choices are not valid."""
    if not may_see_reports(user=request.user):
        raise PermissionDenied
    services = list(report_services(user=request.user))
    form = ReportForm(request.GET, services=services)
    if not form.is_valid():
        return form, None
    chosen = form.cleaned_data["service"]
    service_ids = [s.pk for s in services if chosen in (None, s.pk)]
    period = form.period()
    report = build_report(service_ids=service_ids, period=period, per_professional=True)
    record_audit(
        user=request.user,
        action=AuditAction.VIEW_REPORT,
        detail=f"{period.start}..{period.end} services={','.join(map(str, service_ids))}",
        address=request.META.get("REMOTE_ADDR"),
    )
    return form, report


@staff_required
def supervisor_report(request):
    """Reports per service and period, with charts; supervisors see their
    services, administrators every service. Each view is audited."""
    form, report = _report(request)
    context = {"form": form, "report": report}
    if report is not None:
        context["daily_chart"] = daily_chart(report["daily"])
        context["satisfaction_chart"] = satisfaction_chart(report["total"]["satisfaction_counts"])
    return render(request, "staff/supervisor_report.html", context, status=200 if report else 400)


@staff_required
def supervisor_report_csv(request):
    form, report = _report(request)
    if report is None:
        return HttpResponse(
            "\n".join(str(e) for errors in form.errors.values() for e in errors),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    period = report["period"]
    response = HttpResponse(report_csv(report), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="chat-report-{period.start}-{period.end}.csv"'
    )
    return response


@staff_required
@require_POST
def keepalive(request):
    """The dashboard calls this every minute while the professional works, or
    while it is open, visible and connected (unattended, within a maximum; see
    `staff.middleware.extend_staff_session`). Says how long the session has left,
    so that the page can warn before it ends."""
    return JsonResponse({"status": "ok", "expires_in": staff_session_seconds_left(request)})
