"""The walk-in application at the window (窗口代为申请): applicant, 一件事 or item, answers,
form, materials, submit.

The form is posted whole on every change (htmx swaps it in place, a plain POST works too):
the server always sees the complete state, files are received as soon as they are chosen and
then travel as upload ids, and the Idempotency-Key made when the page was opened makes a
double click submit once.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from tongban.catalog.checklist import Checklist, InvalidAnswers, build_checklist
from tongban.catalog.enums import FieldKind, MaterialForm, MaterialSource, Necessity
from tongban.catalog.forms import input_name, parse_answers, question_rows
from tongban.catalog.plan import Plan
from tongban.catalog.queries import department_names
from tongban.catalog.store import published_bundle_specs, published_item_specs
from tongban.core.audit import record_event
from tongban.core.errors import DomainError
from tongban.core.fieldcrypto import lookup_digest
from tongban.core.identifiers import (
    mask_identifier,
    mask_phone,
    validate_resident_id,
    validate_uscc,
)
from tongban.core.models import Role, User

from . import forms_staff
from .actions.submit import application_submit
from .actions.uploads import upload_material
from .enums import ActingAs, ApplicantKind, Channel, Provision
from .forms_staff import WalkIn
from .inputs import ApplicantInfo, ApplicationInput, MaterialChoice
from .materials import reusable_licences, uploadable
from .models import Application, ConsentMethod, Upload
from .paperless import application_paperless
from .permissions import can_view_application
from .plans import resolve_plan
from .views_staff import (
    department_ids,
    error_messages,
    require_role,
    staff_nav,
    staff_user,
)


def _clerk(request: HttpRequest) -> tuple[User, set[int]]:
    user = staff_user(request)
    require_role(user, Role.CLERK)
    return user, department_ids(user, Role.CLERK)


# --------------------------------------------------------------------------- walk-in


def _plan_options() -> list[tuple[str, list[tuple[str, str]]]]:
    bundles = sorted(published_bundle_specs().values(), key=lambda b: b.name)
    names = department_names()
    items = sorted(published_item_specs().values(), key=lambda i: (i.department, i.name))
    groups: list[tuple[str, list[tuple[str, str]]]] = [
        ("一件事", [(f"b:{b.code}", b.name) for b in bundles])
    ]
    by_department: dict[str, list[tuple[str, str]]] = {}
    for item in items:
        label = names.get(item.department, item.department)
        by_department.setdefault(label, []).append((f"i:{item.code}", item.name))
    groups += [(f"单项事项 · {d}", rows) for d, rows in by_department.items()]
    return groups


def _lookup(user: User, state: WalkIn) -> dict[str, Any]:
    """Find the applicant by ID number (through its keyed digest) and prefill name/phone."""
    company = state.kind == ApplicantKind.COMPANY
    check = validate_uscc(state.id_number) if company else validate_resident_id(state.id_number)
    if not check.valid:
        return {"found": False, "error": check.reason or "证件号码无效"}
    number = check.normalized
    state.id_number = number
    digest = lookup_digest(number)
    name = phone = source = ""
    account = (
        User.objects.filter(uscc=number)
        if company
        else User.objects.filter(id_number_digest=digest)
    ).first()
    if account is not None:
        name, phone, source = account.full_name, account.phone, "实名账号"
    else:
        earlier = Application.objects.filter(applicant_id_digest=digest).order_by("-pk").first()
        if earlier is not None:
            name, phone, source = earlier.applicant_name, earlier.applicant_phone, "以往申请"
    masked = mask_identifier(number)
    if not source:
        return {"found": False, "masked": masked}
    record_event(
        action="person.lookup",
        object_type="person",
        object_id=masked,
        actor=user,
        role=Role.CLERK,
        after={"source": source},
    )
    state.name = name or state.name
    state.phone = phone or state.phone
    for key in forms_staff.APPLICANT_DEFAULTS:
        state.form.pop(key, None)  # the form fields follow the person just found
    return {
        "found": True,
        "masked": masked,
        "name": name,
        "phone": mask_phone(phone) if phone else "",
        "source": source,
    }


def _receive_files(request: HttpRequest, user: User, state: WalkIn, errors: dict[str, str]) -> None:
    for name in request.FILES:
        if not name.startswith("file-"):
            continue
        key = name[len("file-") :]
        file = request.FILES.get(name)
        if file is None:
            continue
        try:
            upload = upload_material(user, file)
        except DomainError as exc:
            errors[f"m:{key}"] = "；".join(error_messages(exc))
            continue
        state.uploads[key] = str(upload.public_id)
        state.provisions[key] = Provision.UPLOAD


def _checklist(
    state: WalkIn, data: QueryDict, problems: list[str]
) -> tuple[Plan | None, Checklist | None]:
    if not state.plan:
        return None, None
    try:
        plan = resolve_plan(state.bundle, state.item).plan
    except DomainError as exc:
        problems.extend(error_messages(exc))
        return None, None
    data = QueryDict() if state.plan_changed else data
    try:
        answers = parse_answers(plan, data)
    except InvalidAnswers as exc:
        # A bad answer is reported and left out; every good answer stays in the form.
        problems.extend(p["message"] for p in exc.problems)
        kept = data.copy()
        for p in exc.problems:
            kept.pop(input_name(p["question"]), None)
        answers = parse_answers(plan, kept)
    try:
        return plan, build_checklist(plan, answers)
    except InvalidAnswers as exc:
        problems.extend(p["message"] for p in exc.problems)
        bad = {p["question"] for p in exc.problems}
        return plan, build_checklist(plan, {k: v for k, v in answers.items() if k not in bad})


def _application_input(state: WalkIn, checklist: Checklist) -> ApplicationInput:
    form = {}
    for f in checklist.fields:
        value = state.form_value(f.key)
        if f.kind != FieldKind.FILE and value:
            form[f.key] = value
    materials: dict[str, MaterialChoice] = {}
    for m in checklist.materials:
        if m.applicant_agrees:
            if m.key in state.agreed:
                materials[m.key] = MaterialChoice(Provision.COMMITMENT, agreed=True)
            continue
        if not uploadable(m):
            continue
        provision = state.provisions.get(m.key, "")
        if provision == Provision.PAPER:
            materials[m.key] = MaterialChoice(Provision.PAPER)
        elif provision == Provision.UPLOAD:
            materials[m.key] = MaterialChoice(Provision.UPLOAD, upload=state.uploads.get(m.key))
        elif provision == Provision.DEFERRED:
            supply_by = forms_staff.parse_date(state.supply_by.get(m.key, ""))
            materials[m.key] = MaterialChoice(Provision.DEFERRED, supply_by=supply_by)
    agent = state.acting_as == ActingAs.AGENT
    proxy = state.acting_as == ActingAs.PROXY_STAFF
    return ApplicationInput(
        bundle=state.bundle,
        item=state.item,
        channel=Channel.WINDOW,
        answers=checklist.answers,
        form=form,
        materials=materials,
        licence_consent=state.licence_consent,
        applicant=ApplicantInfo(state.kind, state.name, state.id_number, state.phone),
        acting_as=state.acting_as,
        agent_name=state.agent_name if agent else "",
        agent_id_number=state.agent_id_number if agent else "",
        # A number that is not one finds no mandate (a clear 404 message), never "none given".
        proxy_mandate=(int(state.proxy_mandate) if state.proxy_mandate.isdigit() else 0)
        if proxy and state.proxy_mandate
        else None,
        proxy_consent=state.proxy_consent if proxy else "",
        proxy_consent_reference=state.proxy_consent_reference if proxy else "",
    )


def _keyed_problems(exc: DomainError, errors: dict[str, str]) -> None:
    if not isinstance(exc.detail, list):
        return
    for problem in exc.detail:
        if not isinstance(problem, dict):
            continue
        for field, prefix in (("field", "f"), ("material", "m"), ("question", "q")):
            if field in problem:
                errors[f"{prefix}:{problem[field]}"] = str(problem.get("message", ""))


INPUT_TYPES = {
    FieldKind.DATE: "date",
    FieldKind.NUMBER: "number",
    FieldKind.PHONE: "tel",
}


def _uploads_of(user: User, state: WalkIn) -> dict[str, Upload]:
    ids = []
    for value in state.uploads.values():
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            continue
    found = {str(u.public_id): u for u in Upload.objects.filter(public_id__in=ids, owner=user)}
    return {k: found[v] for k, v in state.uploads.items() if v in found}


def _material_rows(
    user: User, state: WalkIn, checklist: Checklist, errors: dict[str, str]
) -> list[dict[str, Any]]:
    uploads = _uploads_of(user, state)
    held = reusable_licences(checklist, state.id_number, timezone.localdate())
    rows = []
    for m in checklist.materials:
        error = errors.get(f"m:{m.key}", "")
        chosen = state.provisions.get(m.key, "")
        if m.produced_by is not None:
            mode = "produced"
        elif m.source in (MaterialSource.LICENCE, MaterialSource.DATA_CHECK):
            mode = m.source
        elif m.applicant_agrees:
            mode = "commitment"
        else:
            mode = "provide"
        # Paper or a scan is offered for a licence the applicant does not hold (or does not
        # let us use) and for a data check the register could not answer.
        offers = mode == "provide" or (
            mode == MaterialSource.LICENCE and not (m.key in held and state.licence_consent)
        )
        offers = offers or (mode == MaterialSource.DATA_CHECK and bool(error or chosen))
        options = [(Provision.PAPER, "纸质材料已收取"), (Provision.UPLOAD, "上传扫描件")]
        if m.necessity == Necessity.DEFERRABLE:
            options.append((Provision.DEFERRED, "容缺后补"))
        options.append((Provision.NOT_PROVIDED, "未提供"))
        rows.append(
            {
                "m": m,
                "mode": mode,
                "form": MaterialForm(m.form).label if m.form in MaterialForm.values else "",
                "offers": offers,
                "licence": held.get(m.key),
                # No default for a data check: the clerk must pick when its register is down.
                "provision": chosen
                or ("" if mode == MaterialSource.DATA_CHECK else Provision.NOT_PROVIDED),
                "options": options,
                "upload": uploads.get(m.key),
                "supply_by": state.supply_by.get(m.key, ""),
                "agreed": m.key in state.agreed,
                "error": error,
            }
        )
    return rows


def _field_rows(
    state: WalkIn, checklist: Checklist, errors: dict[str, str]
) -> list[dict[str, Any]]:
    return [
        {
            "f": f,
            "name": f"f-{f.key}",
            "value": state.form_value(f.key),
            "type": INPUT_TYPES.get(FieldKind(f.kind), "text"),
            "error": errors.get(f"f:{f.key}", ""),
        }
        for f in checklist.fields
        if f.kind != FieldKind.FILE
    ]


def _render_walk_in(
    request: HttpRequest,
    user: User,
    state: WalkIn,
    *,
    plan: Plan | None = None,
    checklist: Checklist | None = None,
    problems: list[str] | None = None,
    errors: dict[str, str] | None = None,
    lookup: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    errors = errors or {}
    state.plan_shown = state.plan
    materials = _material_rows(user, state, checklist, errors) if checklist else []
    context = {
        **staff_nav(user, "window_new"),
        "state": state,
        "plan_options": _plan_options(),
        "kinds": ApplicantKind.choices,
        "acting_choices": ActingAs.choices,
        "consent_choices": ConsentMethod.choices,
        "plan": plan,
        "checklist": checklist,
        "questions": question_rows(plan, checklist) if plan and checklist else [],
        "fields": _field_rows(state, checklist, errors) if checklist else [],
        "materials": materials,
        "licences_held": any(row["licence"] for row in materials),
        "problems": problems or [],
        "errors": errors,
        "lookup": lookup,
        "steps": forms_staff,
    }
    template = "cases/staff/window_new.html"
    if request.headers.get("HX-Request") == "true":
        template = "cases/staff/partials/walkin_form.html"
    return render(request, template, context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def window_new(request: HttpRequest) -> HttpResponse:
    """A walk-in application: applicant, 一件事 or item, answers, form, materials, submit."""
    user, _ = _clerk(request)
    if request.method == "GET":
        state = forms_staff.new_walk_in(request.GET.get("plan", ""))
        problems: list[str] = []
        plan, checklist = _checklist(state, QueryDict(), problems)
        return _render_walk_in(
            request, user, state, plan=plan, checklist=checklist, problems=problems
        )
    state = forms_staff.parse_walk_in(request.POST)
    problems = []
    errors: dict[str, str] = {}
    _receive_files(request, user, state, errors)
    lookup = _lookup(user, state) if state.step == forms_staff.STEP_LOOKUP else None
    plan, checklist = _checklist(state, request.POST, problems)
    status = 200
    if state.step == forms_staff.STEP_SUBMIT:
        if checklist is None:
            problems.append("请选择要办理的一件事或事项")
        elif not problems and not errors:
            try:
                application = application_submit(
                    user,
                    Role.CLERK,
                    _application_input(state, checklist),
                    idempotency_key=state.key,
                )
            except DomainError as exc:
                problems.extend(error_messages(exc))
                _keyed_problems(exc, errors)
            else:
                url = reverse("cases:window_application", args=[application.number])
                if request.headers.get("HX-Request") == "true":
                    return HttpResponseClientRedirect(url)
                return redirect(url)
        status = 400
    return _render_walk_in(
        request,
        user,
        state,
        plan=plan,
        checklist=checklist,
        problems=problems,
        errors=errors,
        lookup=lookup,
        status=status,
    )


@login_required
@require_GET
def window_application(request: HttpRequest, number: str) -> HttpResponse:
    """The application just submitted at the window and the cases it fanned out to."""
    user, _ = _clerk(request)
    application = Application.objects.filter(number=number).first()
    if application is None or not can_view_application(user, application):
        raise Http404("申请不存在")
    cases = list(application.cases.select_related("department").order_by("pk"))
    context = {
        **staff_nav(user, "window_new"),
        "application": application,
        "cases": cases,
        "paperless": application_paperless(application.pk),
    }
    return render(request, "cases/staff/window_application.html", context)
