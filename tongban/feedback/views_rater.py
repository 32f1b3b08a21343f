"""The rater's pages (个人/企业): rate a case stage, my ratings, one rating with the
department's answer and the 二次评价.

Views parse, authorise (the applicant's own applications only) and call `rating_submit` /
`rectification_close`; a DomainError is shown in Chinese next to the form, which keeps
what was typed.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from tongban.cases.forms_citizen import problems_of
from tongban.cases.models import Case
from tongban.cases.views_citizen import applicant, applicant_view, owned_applications
from tongban.core.errors import DomainError

from .actions import rating_submit, rectification_close
from .enums import RatingChannel, RectificationState, Stage
from .forms import MIN_BAD_COMMENT, RatingForm, ReRateForm, form_errors
from .models import Rating
from .queries import pending_ratings

STAGE_INVITATION = {Stage.ACCEPT: "请评价受理环节", Stage.COMPLETE: "请评价办结环节"}


def _own_case(request: HttpRequest, case_no: str) -> Case:
    user, _ = applicant(request)
    case = (
        Case.objects.select_related("department", "application")
        .filter(case_no=case_no, application__in=owned_applications(user))
        .first()
    )
    if case is None:
        raise DomainError("not_found", f"办件“{case_no}”不存在", 404)
    return case


def _render_rate(
    request: HttpRequest,
    case: Case,
    stage: str,
    form: RatingForm,
    problems: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "case": case,
        "application": case.application,
        "stage": stage,
        "stage_label": Stage(stage).label,
        "invitation": STAGE_INVITATION[Stage(stage)],
        "form": form,
        "problems": problems or [],
        "min_bad_comment": MIN_BAD_COMMENT,
    }
    return render(request, "feedback/rate.html", context, status=status)


@require_http_methods(["GET", "POST"])
@applicant_view
def rate(request: HttpRequest, case_no: str, stage: str) -> HttpResponse:
    """网上"一事一评": rate the 受理 or 办结 stage of one of the applicant's cases."""
    user, _ = applicant(request)
    if stage not in (Stage.ACCEPT, Stage.COMPLETE):
        raise DomainError("not_found", "没有这个评价环节", 404)
    case = _own_case(request, case_no)
    done = Rating.objects.filter(case=case, stage=stage).only("pk").first()
    if done is not None:
        messages.info(request, "该环节已经评价过了。")
        return redirect("feedback:rating", pk=done.pk)
    if request.method == "GET":
        if (case, stage) not in pending_ratings(case.application, [case]):
            word = "受理" if stage == Stage.ACCEPT else "办结"
            raise DomainError("not_ratable", f"办件{word}后才能评价{word}环节", 409)
        return _render_rate(request, case, stage, RatingForm())
    form = RatingForm(request.POST)
    if not form.is_valid():
        return _render_rate(request, case, stage, form, form_errors(form), status=400)
    try:
        rating = rating_submit(
            user,
            stage=stage,
            case_no=case.case_no,
            level=form.cleaned_data["level"],
            channel=RatingChannel.WEB,
            indicators=form.indicators(),
            comment=form.cleaned_data["comment"],
            anonymous=form.cleaned_data["anonymous"],
        )
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        return _render_rate(request, case, stage, form, problems_of(exc).all(), exc.status)
    if rating.level <= 2:
        messages.success(
            request, "感谢您的评价。差评已转被评价单位限期整改，整改答复会在这里告诉您。"
        )
    else:
        messages.success(request, "感谢您的评价！")
    url = reverse("cases:mine_detail", args=[case.application.number])
    return redirect(f"{url}#rating-{case.case_no}-{stage}")


@require_http_methods(["GET"])
@applicant_view
def mine(request: HttpRequest) -> HttpResponse:
    """我的评价: every rating this account made, newest first, with its rectification."""
    user, _ = applicant(request)
    ratings = (
        Rating.objects.filter(rater=user)
        .select_related("case", "department", "application", "rectification")
        .order_by("-created_at", "-pk")
    )
    page = Paginator(ratings, 20).get_page(request.GET.get("page"))
    return render(request, "feedback/mine.html", {"page": page})


def _own_rating(request: HttpRequest, pk: int) -> Rating:
    user, _ = applicant(request)
    rating = (
        Rating.objects.filter(pk=pk, rater=user)
        .select_related("case", "department", "application", "rectification")
        .first()
    )
    if rating is None:
        raise DomainError("not_found", "评价不存在", 404)
    return rating


def _render_rating(
    request: HttpRequest,
    rating: Rating,
    form: ReRateForm | None = None,
    problems: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {
        "rating": rating,
        "rectification": getattr(rating, "rectification", None),
        "form": form or ReRateForm(),
        "problems": problems or [],
    }
    return render(request, "feedback/rating.html", context, status=status)


@require_http_methods(["GET"])
@applicant_view
def rating_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_rating(request, _own_rating(request, pk))


@require_POST
@applicant_view
def re_rate(request: HttpRequest, pk: int) -> HttpResponse:
    """二次评价 of the department's reply; it closes the rectification."""
    user, _ = applicant(request)
    rating = _own_rating(request, pk)
    rectification = getattr(rating, "rectification", None)
    if rectification is None or rectification.state != RectificationState.REPLIED:
        raise DomainError("not_ratable", "被评价单位答复后才能再次评价", 409)
    form = ReRateForm(request.POST)
    if not form.is_valid():
        return _render_rating(request, rating, form, form_errors(form), status=400)
    try:
        rectification_close(rectification.pk, user, re_level=form.cleaned_data["re_level"])
    except DomainError as exc:
        if exc.status == 404:
            raise
        rating = _own_rating(request, pk)
        return _render_rating(request, rating, form, problems_of(exc).all(), exc.status)
    messages.success(request, "感谢您对整改答复的评价，本次差评整改已办结。")
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("feedback:rating", pk=rating.pk)
