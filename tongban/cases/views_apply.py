"""The apply wizard (在线申请): pick → situation questions → one form → materials → review →
submit. Every step is a plain form that works without JavaScript (POST, then redirect to
the next step); htmx only adds live re-evaluation of the questions and immediate uploads.

The state of an unfinished application is a draft `Application` (actions/drafts.py), saved
at every step, so the applicant can leave and come back from "我的申请".
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tongban.catalog import pages
from tongban.catalog.checklist import Checklist, InvalidAnswers, build_checklist
from tongban.catalog.enums import Audience, OnlineDepth
from tongban.catalog.forms import parse_answers, question_rows
from tongban.catalog.plan import Plan
from tongban.catalog.queries import all_bundles, department_names, search_items
from tongban.core.errors import DomainError
from tongban.core.identifiers import mask_identifier
from tongban.core.models import Role, User

from .actions.drafts import (
    account_holder_id,
    application_discard_draft,
    application_save_draft,
    draft_choices,
    draft_input,
    own_draft,
)
from .actions.submit import application_submit
from .actions.uploads import upload_material
from .enums import ApplicationStatus, Provision
from .form import InvalidForm, clean_form
from .forms_citizen import (
    Problems,
    account_values,
    field_rows,
    material_rows,
    parse_form,
    parse_licence_consent,
    parse_material_choices,
    problems_of,
    review_answers,
    review_fields,
    review_materials,
    upload_keys,
    uploads_by_id,
)
from .inputs import ApplicationInput, MaterialChoice
from .materials import (
    MAX_DEFER_DAYS,
    InvalidMaterials,
    plan_materials,
    reusable_licences,
    uploadable,
)
from .models import Application
from .plans import ResolvedPlan, resolve_plan
from .views_citizen import applicant, applicant_view

STEPS = [
    ("questions", "情形问答"),
    ("form", "填写表单"),
    ("materials", "提交材料"),
    ("review", "确认提交"),
]
STEP_NAMES = [name for name, _ in STEPS]
KINDS = ("bundle", "item")


# ---------------------------------------------------------------- choosing what to apply for


@require_GET
@applicant_view
def apply_index(request: HttpRequest) -> HttpResponse:
    """在线申请: the published bundles for this kind of applicant, and a search for items."""
    user, role = applicant(request)
    audience = Audience.COMPANY if role == Role.COMPANY else Audience.PERSON
    q = request.GET.get("q", "").strip()[:100]
    names = department_names()
    bundles = [b for b in all_bundles() if b.audience == audience]
    section = next(s for s in pages.bundle_sections(bundles, names) if s["code"] == audience)
    items = []
    if q:
        for item in search_items(q, audience=audience):
            row = pages.item_row(item, names)
            row["online_apply"] = item.online_depth >= OnlineDepth.PRE_REVIEW
            items.append(row)
    drafts = list(
        Application.objects.filter(created_by=user, status=ApplicationStatus.DRAFT).order_by(
            "-updated_at"
        )[:20]
    )
    context = {"section": section, "q": q, "items": items, "drafts": drafts}
    return render(request, "cases/citizen/apply_index.html", context)


# ---------------------------------------------------------------- the wizard's state


@dataclass
class Wizard:
    kind: str
    code: str
    resolved: ResolvedPlan
    draft: Application | None

    @property
    def plan(self) -> Plan:
        return self.resolved.plan

    def url(self, step: str) -> str:
        if self.draft is None:
            return reverse("cases:apply_start", args=[self.kind, self.code])
        return reverse("cases:apply_step", args=[self.kind, self.code, self.draft.pk, step])


def _wizard(user: User, kind: str, code: str, pk: int | None) -> Wizard:
    if kind not in KINDS:
        raise DomainError("not_found", "申请类型应为一件事或单个事项", 404)
    draft = own_draft(user, pk) if pk is not None else None
    if draft is not None and (
        draft.plan_code != code or (draft.bundle_version_id is not None) != (kind == "bundle")
    ):
        raise DomainError("not_found", "草稿不存在或已提交", 404)
    resolved = resolve_plan(code if kind == "bundle" else None, code if kind == "item" else None)
    if kind == "item" and resolved.plan.items[0].online_depth < OnlineDepth.PRE_REVIEW:
        raise DomainError(
            "not_online", "该事项暂不支持网上申请，请到政务服务中心窗口办理", status=409
        )
    return Wizard(kind, code, resolved, draft)


def _checklist(plan: Plan, answers: dict[str, Any]) -> tuple[Checklist, Problems]:
    """The checklist for these answers; answers that are no longer valid (the catalog was
    republished since the draft was saved) are reported and left out."""
    try:
        return build_checklist(plan, answers), Problems()
    except InvalidAnswers as exc:
        problems = problems_of(exc)
        good = {k: v for k, v in answers.items() if k not in problems.by_key}
        return build_checklist(plan, good), problems


def _context(w: Wizard, step: str, checklist: Checklist, **extra: Any) -> dict[str, Any]:
    reached = STEP_NAMES.index(step)
    steps = [
        {
            "name": name,
            "label": label,
            "number": i + 2,
            "current": name == step,
            "done": i < reached,
            # A step can be visited once there is a draft and the questions are answered.
            "url": w.url(name) if w.draft and (i == 0 or checklist.complete) else "",
        }
        for i, (name, label) in enumerate(STEPS)
    ]
    return {
        "w": w,
        "action": w.url(step),
        "title": w.plan.name,
        "step": step,
        "steps": steps,
        "checklist": checklist,
        **extra,
    }


def _go(request: HttpRequest, w: Wizard, here: str) -> HttpResponse:
    """After a successful save: 下一步, 上一步 or 保存草稿 (stay)."""
    go = request.POST.get("go", "next")
    index = STEP_NAMES.index(here)
    if go == "save":
        messages.success(request, "草稿已保存，可随时在“我的申请”中继续填写。")
        return redirect(w.url(here))
    if go == "back" and index > 0:
        return redirect(w.url(STEP_NAMES[index - 1]))
    return redirect(w.url(STEP_NAMES[min(index + 1, len(STEP_NAMES) - 1)]))


def _input(w: Wizard, **values: Any) -> ApplicationInput:
    if w.draft is not None:
        return draft_input(w.draft, **values)
    if w.kind == "bundle":
        return ApplicationInput(bundle=w.code, **values)
    return ApplicationInput(item=w.code, **values)


# ---------------------------------------------------------------- step 1: situation questions


def _htmx(request: HttpRequest) -> bool:
    headers = request.headers
    return (
        headers.get("HX-Request") == "true" and headers.get("HX-History-Restore-Request") != "true"
    )


def _questions_page(
    request: HttpRequest, w: Wizard, checklist: Checklist, problems: Problems, status: int = 200
) -> HttpResponse:
    rows = question_rows(w.plan, checklist)
    shown = {q.key for q in rows}
    context = _context(
        w,
        "questions",
        checklist,
        questions=[(q, problems.by_key.get(q.key, "")) for q in rows],
        unplaced=problems.general + [m for k, m in problems.by_key.items() if k not in shown],
        result=pages.checklist_view(w.plan, checklist, department_names()),
        other_drafts=_other_drafts(request.user, w),
    )
    template = "cases/citizen/apply_questions.html"
    if _htmx(request) and request.method == "POST":
        template = "cases/citizen/partials/questions.html"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _other_drafts(user: Any, w: Wizard) -> list[Application]:
    if w.draft is not None or not isinstance(user, User):
        return []
    return list(
        Application.objects.filter(
            created_by=user, status=ApplicationStatus.DRAFT, plan_code=w.code
        ).order_by("-updated_at")[:5]
    )


def _posted_answers(plan: Plan, data: QueryDict) -> tuple[dict[str, Any], Problems]:
    try:
        return parse_answers(plan, data), Problems()
    except InvalidAnswers as exc:
        problems = problems_of(exc)
        kept = data.copy()
        for key in problems.by_key:
            kept.pop(f"a-{key}", None)
        return parse_answers(plan, kept), problems


def _questions(request: HttpRequest, w: Wizard, role: str) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    if request.method != "POST":
        if w.draft is not None:
            answers = dict(w.draft.answers)
        else:  # answers may come along from the public 情形引导 page
            answers, _ = _posted_answers(w.plan, request.GET)
        checklist, problems = _checklist(w.plan, answers)
        return _questions_page(request, w, checklist, problems)
    answers, problems = _posted_answers(w.plan, request.POST)
    checklist, more = _checklist(w.plan, answers)
    problems.by_key.update(more.by_key)
    if problems or request.POST.get("preview"):
        # htmx re-evaluation on every change: nothing is saved until 下一步 or 保存草稿.
        return _questions_page(request, w, checklist, problems, 400 if problems else 200)
    try:
        w.draft = application_save_draft(user, role, _input(w, answers=answers), w.draft)
    except DomainError as exc:
        return _questions_page(request, w, checklist, problems_of(exc), 400)
    if request.POST.get("go") != "save" and not checklist.complete:
        messages.warning(request, "还有问题没有回答，请回答后再进入下一步。")
        return redirect(w.url("questions"))
    return _go(request, w, "questions")


@require_http_methods(["GET", "POST"])
@applicant_view
def apply_start(request: HttpRequest, kind: str, code: str) -> HttpResponse:
    user, role = applicant(request)
    return _questions(request, _wizard(user, kind, code, None), role)


# ---------------------------------------------------------------- the steps of a draft


@require_http_methods(["GET", "POST"])
@applicant_view
def apply_step(request: HttpRequest, kind: str, code: str, pk: int, step: str) -> HttpResponse:
    user, role = applicant(request)
    w = _wizard(user, kind, code, pk)
    if step == "questions":
        return _questions(request, w, role)
    if step not in STEP_NAMES:
        raise DomainError("not_found", "没有这一步", 404)
    assert w.draft is not None
    checklist, problems = _checklist(w.plan, dict(w.draft.answers))
    if problems or not checklist.complete:
        messages.warning(request, "请先回答全部情形问题。")
        return redirect(w.url("questions"))
    if step == "form":
        return _form_step(request, w, role, checklist)
    if step == "materials":
        return _materials_step(request, w, role, checklist)
    if request.method == "POST":
        return redirect(w.url("review"))
    return _review_page(request, w, checklist, user, role)


@require_GET
@applicant_view
def apply_resume(request: HttpRequest, kind: str, code: str, pk: int) -> HttpResponse:
    """Continue a draft at the first step that still needs something."""
    user, role = applicant(request)
    w = _wizard(user, kind, code, pk)
    assert w.draft is not None
    checklist, problems = _checklist(w.plan, dict(w.draft.answers))
    if problems or not checklist.complete:
        return redirect(w.url("questions"))
    try:
        clean_form(checklist.fields, w.draft.form, timezone.localdate())
    except InvalidForm:
        return redirect(w.url("form"))
    if _material_problems(checklist, w.draft, user, role):
        return redirect(w.url("materials"))
    return redirect(w.url("review"))


# ---------------------------------------------------------------- step 2: the one form


def _form_step(request: HttpRequest, w: Wizard, role: str, checklist: Checklist) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    assert w.draft is not None
    problems = Problems()
    status = 200
    saved = False
    values: dict[str, Any] = dict(w.draft.form)
    if request.method == "POST":
        values = parse_form(checklist.fields, request.POST)
        try:
            w.draft = application_save_draft(user, role, _input(w, form=values), w.draft)
            saved = True
            if request.POST.get("go", "next") == "next":
                # Saved; but 下一步 also wants every required field filled in.
                clean_form(checklist.fields, w.draft.form, timezone.localdate())
        except DomainError as exc:
            problems, status = problems_of(exc), 400
        else:
            return _go(request, w, "form")
    keys = {f.key for f in checklist.fields}
    unplaced = problems.general + [m for k, m in problems.by_key.items() if k not in keys]
    context = _context(
        w,
        "form",
        checklist,
        fields=field_rows(checklist.fields, values, problems, account_values(user, role)),
        problems=problems,
        unplaced=unplaced,
        saved=saved,
    )
    return render(request, "cases/citizen/apply_form.html", context, status=status)


# ---------------------------------------------------------------- step 3: materials


def _held(checklist: Checklist, user: User, role: str) -> dict[str, Any]:
    """The applicant's licences that can replace materials of this checklist (免提交)."""
    return reusable_licences(checklist, account_holder_id(user, role), timezone.localdate())


def _materials_context(
    w: Wizard,
    checklist: Checklist,
    user: User,
    role: str,
    choices: dict[str, MaterialChoice],
    problems: Problems,
    consent: bool,
) -> dict[str, Any]:
    rows = material_rows(
        w.plan,
        checklist,
        choices,
        uploads_by_id(user, choices),
        problems,
        department_names(),
        _held(checklist, user, role),
        consent,
    )
    keys = {m.key for m in checklist.materials}
    unplaced = problems.general + [m for k, m in problems.by_key.items() if k not in keys]
    return _context(
        w,
        "materials",
        checklist,
        materials=rows,
        to_upload=[r for r in rows if r.kind == "upload"],
        by_licence=[r for r in rows if r.kind == "licence"],
        licence_consent=consent,
        to_agree=[r for r in rows if r.kind == "commitment"],
        free=[r for r in rows if r.kind == "free"],
        problems=problems,
        unplaced=unplaced,
        defer_min=timezone.localdate() + datetime.timedelta(days=1),
        defer_max=timezone.localdate() + datetime.timedelta(days=MAX_DEFER_DAYS),
    )


def _materials_step(
    request: HttpRequest, w: Wizard, role: str, checklist: Checklist
) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    assert w.draft is not None
    if request.method != "POST":
        context = _materials_context(
            w, checklist, user, role, draft_choices(w.draft), Problems(), w.draft.licence_consent
        )
        return render(request, "cases/citizen/apply_materials.html", context)
    # Files first: each is received on its own; a bad one is reported next to its material
    # while the good ones stay attached (as u-<key> in the page shown again).
    problems = Problems()
    received: dict[str, str] = {}
    names = {m.key: m.name for m in checklist.materials}
    for key in upload_keys(checklist):
        file = request.FILES.get(f"file-{key}")
        if file is None:
            continue
        try:
            received[key] = str(upload_material(user, file).public_id)
        except DomainError as exc:
            problems.by_key[key] = f"{names[key]}：{'；'.join(problems_of(exc).all())}"
    choices = parse_material_choices(checklist, request.POST, received)
    consent = parse_licence_consent(request.POST)
    saved = False
    if not problems:
        try:
            data = _input(w, materials=choices, licence_consent=consent)
            w.draft = application_save_draft(user, role, data, w.draft)
        except DomainError as exc:
            problems = problems_of(exc)
        else:
            saved = True
            if request.POST.get("go", "next") == "next":
                # Saved; but 下一步 also wants every required material provided.
                problems = _material_problems(checklist, w.draft, user, role)
            if not problems:
                return _go(request, w, "materials")
    context = _materials_context(w, checklist, user, role, choices, problems, consent)
    context["saved"] = saved
    return render(request, "cases/citizen/apply_materials.html", context, status=400)


@require_POST
@applicant_view
def apply_upload(request: HttpRequest, kind: str, code: str, pk: int, key: str) -> HttpResponse:
    """htmx: receive one material's file at once and attach it to the draft; answers with
    that material's row (sha256 and size shown)."""
    user, role = applicant(request)
    w = _wizard(user, kind, code, pk)
    assert w.draft is not None
    checklist, _ = _checklist(w.plan, dict(w.draft.answers))
    material = next((m for m in checklist.materials if m.key == key), None)
    if material is None or not uploadable(material):
        raise DomainError("not_found", "本申请不需要上传这份材料", 404)
    choices = draft_choices(w.draft)
    problems = Problems()
    file = request.FILES.get(f"file-{key}")
    status = 200
    if file is None:
        problems.by_key[key] = "请选择要上传的文件"
    else:
        try:
            upload = upload_material(user, file)
            choices[key] = MaterialChoice(Provision.UPLOAD, upload=str(upload.public_id))
            w.draft = application_save_draft(user, role, _input(w, materials=choices), w.draft)
        except DomainError as exc:
            problems.by_key[key] = "；".join(problems_of(exc).all())
        choices = draft_choices(w.draft)
    if problems:
        status = 400
    context = _materials_context(
        w, checklist, user, role, choices, problems, w.draft.licence_consent
    )
    context["m"] = next(r for r in context["materials"] if r.key == key)
    return render(request, "cases/citizen/partials/material.html", context, status=status)


# ---------------------------------------------------------------- step 4: review and submit


def _material_problems(checklist: Checklist, draft: Application, user: User, role: str) -> Problems:
    try:
        plan_materials(
            checklist,
            draft_choices(draft),
            draft.form,
            channel=draft.channel,
            actor=user,
            today=timezone.localdate(),
            strict=True,
            holder_id=account_holder_id(user, role),
            licence_consent=draft.licence_consent,
        )
    except InvalidMaterials as exc:
        return problems_of(exc)
    return Problems()


def _review_page(
    request: HttpRequest,
    w: Wizard,
    checklist: Checklist,
    user: User,
    role: str,
    submit_problems: Problems | None = None,
    status: int = 200,
) -> HttpResponse:
    """Everything on one page, with what still blocks the submission and where to fix it."""
    assert w.draft is not None
    draft = w.draft
    try:
        clean_form(checklist.fields, draft.form, timezone.localdate())
        form_problems = Problems()
    except InvalidForm as exc:
        form_problems = problems_of(exc)
    material_problems = _material_problems(checklist, draft, user, role)
    choices = draft_choices(draft)
    rows = material_rows(
        w.plan,
        checklist,
        choices,
        uploads_by_id(user, choices),
        material_problems,
        {},
        _held(checklist, user, role),
        draft.licence_consent,
    )
    blocking = [{"message": m, "url": w.url("form")} for m in form_problems.all()] + [
        {"message": m, "url": w.url("materials")} for m in material_problems.all()
    ]
    context = _context(
        w,
        "review",
        checklist,
        answers=review_answers(w.plan, checklist),
        fields=review_fields(checklist.fields, draft.form),
        materials=review_materials(rows),
        result=pages.checklist_view(w.plan, checklist, department_names()),
        blocking=blocking,
        submit_problems=(submit_problems.all() if submit_problems else []),
        idempotency_key=uuid.uuid4().hex,
        masked_id=mask_identifier(user.uscc or user.id_number or ""),
    )
    return render(request, "cases/citizen/apply_review.html", context, status=status)


def _submitted_with(user: User, key: str) -> Application | None:
    return Application.objects.filter(
        created_by=user, idempotency_key=key, status=ApplicationStatus.SUBMITTED
    ).first()


def _done(request: HttpRequest, application: Application) -> HttpResponse:
    return redirect(reverse("cases:mine_detail", args=[application.number]))


@require_POST
@applicant_view
def apply_submit(request: HttpRequest, kind: str, code: str, pk: int) -> HttpResponse:
    """Submit the draft once. The review page carries an Idempotency-Key; a second POST
    with it (a double click, a retry) lands on the application the first one created."""
    user, role = applicant(request)
    key = (request.POST.get("idempotency_key") or "").strip()
    if not 1 <= len(key) <= 100:
        raise DomainError("bad_request", "提交信息不完整，请返回确认页面重新提交", 400)
    existing = _submitted_with(user, key)
    if existing is not None:
        return _done(request, existing)
    w = _wizard(user, kind, code, pk)
    assert w.draft is not None
    try:
        application = application_submit(
            user, role, draft_input(w.draft), idempotency_key=key, draft=w.draft
        )
    except DomainError as exc:
        existing = _submitted_with(user, key)  # a concurrent twin won the race
        if existing is not None:
            return _done(request, existing)
        checklist, _ = _checklist(w.plan, dict(w.draft.answers))
        return _review_page(request, w, checklist, user, role, problems_of(exc), status=400)
    messages.success(
        request, f"申请已提交，申请编号：{application.number}。办理进度可在本页随时查看。"
    )
    return _done(request, application)


@require_POST
@applicant_view
def apply_discard(request: HttpRequest, kind: str, code: str, pk: int) -> HttpResponse:
    user, role = applicant(request)
    w = _wizard(user, kind, code, pk)
    assert w.draft is not None
    application_discard_draft(user, role, w.draft)
    messages.success(request, f"已删除“{w.plan.name}”的草稿。")
    return redirect(reverse("cases:apply_index"))
