"""The window pad (窗口评价器, 现场"一次一评"): after a walk-in application is submitted, the
clerk opens a full-screen page on the counter's pad and the applicant taps a face.

The clerk's session is open, but the rating is the applicant's: `rating_submit` is called
with the application's applicant account as rater and `on_pad_of=<the clerk>`, which only a
clerk of the receiving service centre may be; the audit event records the clerk's session.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from tongban.cases.enums import Channel
from tongban.cases.models import Application
from tongban.cases.views_staff import department_ids, error_messages, require_role, staff_user
from tongban.core.errors import DomainError
from tongban.core.models import Role, User

from .actions import rating_submit
from .enums import RatingChannel, Stage
from .forms import RatingForm, form_errors
from .models import Rating


def _application(user: User, number: str) -> Application:
    require_role(user, Role.CLERK)
    application = (
        Application.objects.select_related("applicant_user", "service_centre")
        .filter(number=number, channel=Channel.WINDOW)
        .first()
    )
    if application is None or application.service_centre_id not in department_ids(user, Role.CLERK):
        raise Http404("申请不存在")
    return application


def _render(
    request: HttpRequest,
    application: Application,
    form: RatingForm,
    *,
    done: Rating | None = None,
    problems: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "application": application,
        "form": form,
        "done": done,
        "problems": problems or [],
        "no_account": application.applicant_user_id is None,
    }
    return render(request, "feedback/pad.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def pad(request: HttpRequest, number: str) -> HttpResponse:
    user = staff_user(request)
    application = _application(user, number)
    done = Rating.objects.filter(application=application, stage=Stage.WINDOW).first()
    if done is not None or request.method == "GET":
        return _render(request, application, RatingForm(offline=True), done=done)
    form = RatingForm(request.POST, offline=True)
    if not form.is_valid():
        return _render(request, application, form, problems=form_errors(form), status=400)
    rater = application.applicant_user
    try:
        if rater is None:
            raise DomainError(
                "no_rater_account",
                "申请人没有通办账号，评价器无法记录评价人；请引导申请人注册后在线评价",
                409,
            )
        rating = rating_submit(
            rater,
            stage=Stage.WINDOW,
            application_number=application.number,
            level=form.cleaned_data["level"],
            channel=RatingChannel.WINDOW_PAD,
            indicators=form.indicators(),
            comment=form.cleaned_data["comment"],
            anonymous=form.cleaned_data["anonymous"],
            on_pad_of=user,
        )
    except DomainError as exc:
        return _render(request, application, form, problems=error_messages(exc), status=exc.status)
    return _render(request, application, RatingForm(offline=True), done=rating)
