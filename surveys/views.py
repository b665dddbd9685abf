"""The survey page, reached with the one-time link from the end screen."""

from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_http_methods

from surveys import actions
from surveys.errors import SurveyError
from surveys.forms import SurveyForm
from surveys.selectors import statistic_for_link, survey_for

REFUSAL_STATUS = {
    "invalid_link": 404,
    "no_survey": 404,
    "link_expired": 410,
    "already_answered": 409,
}


def _refused(request, error: SurveyError):
    return render(
        request,
        "surveys/refused.html",
        {"message": error.message, "code": error.code},
        status=REFUSAL_STATUS.get(error.code, 400),
    )


@xframe_options_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def survey(request, token: str):
    try:
        statistic = statistic_for_link(token=token)
        found = survey_for(service_id=statistic.service_id)
        if found is None:
            raise SurveyError("no_survey")
    except SurveyError as error:
        return _refused(request, error)
    form = SurveyForm(request.POST if request.method == "POST" else None, survey=found)
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.submit_response(
                    statistic_id=statistic.pk,
                    survey=found,
                    satisfaction=form.cleaned_data["satisfaction"],
                    help_received=form.cleaned_data["help_received"],
                    comment=form.cleaned_data.get("comment", ""),
                )
            except SurveyError as error:
                return _refused(request, error)
            return render(request, "surveys/thanks.html")
        status = 400
    else:
        status = 200
    return render(
        request,
        "surveys/survey.html",
        {
            "form": form,
            "survey": found,
            "service": statistic.service,
            "intro": found.text("intro"),
        },
        status=status,
    )
