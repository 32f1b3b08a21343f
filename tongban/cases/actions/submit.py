"""Applications: save a draft, submit (fan-out to one case per item), and uploads."""

from __future__ import annotations

import copy
import datetime
import hashlib
import json
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from tongban.catalog.checklist import Checklist, build_checklist
from tongban.core.audit import record_event
from tongban.core.errors import DomainError
from tongban.core.fieldcrypto import lookup_digest
from tongban.core.identifiers import mask_identifier, validate_resident_id, validate_uscc
from tongban.core.models import Department, DepartmentKind, Role, User
from tongban.licences.actions import licence_use_record

from ..enums import ActingAs, ApplicantKind, ApplicationStatus, CaseState, Channel
from ..form import clean_form
from ..inputs import ApplicantInfo, ApplicationInput
from ..materials import MaterialPlan, plan_materials
from ..models import Application, ApplicationMaterial, Case, CaseLink, ProxyMandate
from ..numbering import submission_numbers
from ..plans import ResolvedPlan, resolve_plan, service_centre_for
from .automation import start_received_cases
from .proxy import MandateInput, mandate_for_submission, proxy_details, proxy_mandate_record

ONLINE_CHANNELS = {Channel.WEB, Channel.MOBILE, Channel.KIOSK}
STAFF_CHANNELS = {Channel.WINDOW, Channel.BANK, Channel.HOTLINE}


class IncompleteAnswers(DomainError):
    def __init__(self, pending: list[dict[str, str]]) -> None:
        super().__init__("incomplete_answers", pending, status=400)


def _request_digest(data: ApplicationInput) -> str:
    canonical = json.dumps(asdict(data), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _checklist(resolved: ResolvedPlan, answers: dict[str, Any]) -> Checklist:
    checklist = build_checklist(resolved.plan, answers)
    if checklist.questions:
        raise IncompleteAnswers(
            [
                {"question": q.key, "text": q.text, "message": f"请回答：{q.text}"}
                for q in checklist.questions
            ]
        )
    return checklist


def _clerk_centre(actor: User) -> Department | None:
    for assignment in actor.assignments_by_role().get(Role.CLERK, []):
        department = assignment.department
        if department is not None and department.kind == DepartmentKind.SERVICE_CENTER:
            return department
    return None


def _fill_applicant(
    application: Application, actor: User, role: str, data: ApplicationInput
) -> None:
    """Who applies and who acts: the account online, the person at the window otherwise."""
    today = timezone.localdate()
    if role in (Role.CITIZEN, Role.COMPANY):
        if data.channel not in ONLINE_CHANNELS:
            raise DomainError("bad_channel", "网上申请的渠道应为网站、移动端或自助终端", 400)
        company = role == Role.COMPANY
        info = ApplicantInfo(
            kind=ApplicantKind.COMPANY if company else ApplicantKind.PERSON,
            name=actor.full_name or actor.username,
            id_number=actor.uscc if company else actor.id_number,
            phone=actor.phone,
        )
        application.applicant_user = actor
    else:
        if data.channel not in STAFF_CHANNELS:
            raise DomainError("bad_channel", "窗口代为申请的渠道应为窗口、银行网点或热线", 400)
        if data.applicant is None or not data.applicant.name or not data.applicant.id_number:
            raise DomainError("applicant_required", "请填写申请人姓名（名称）和证件号码", 400)
        info = data.applicant
        application.received_by = actor
        application.service_centre = _clerk_centre(actor)
    if info.id_number:
        check = (
            validate_uscc(info.id_number)
            if info.kind == ApplicantKind.COMPANY
            else validate_resident_id(info.id_number, today)
        )
        if not check.valid:
            raise DomainError("invalid_applicant", f"申请人证件号码：{check.reason}", 400)
        application.applicant_id = check.normalized
        application.applicant_id_digest = lookup_digest(check.normalized)
        application.applicant_id_masked = mask_identifier(check.normalized)
    if application.applicant_user is None and application.applicant_id_digest:
        # A walk-in who has an account sees the application under "my applications".
        application.applicant_user = User.objects.filter(
            id_number_digest=application.applicant_id_digest
        ).first()
    application.applicant_kind = info.kind
    application.applicant_name = info.name
    application.applicant_phone = info.phone
    application.acting_as = data.acting_as
    if data.acting_as == ActingAs.AGENT:
        if not data.agent_name or not data.agent_id_number:
            raise DomainError("agent_required", "代办时请填写代办人姓名和身份证号码", 400)
        check = validate_resident_id(data.agent_id_number, today)
        if not check.valid:
            raise DomainError("invalid_agent", f"代办人身份证号码：{check.reason}", 400)
        application.agent_name = data.agent_name
        application.agent_id = check.normalized
        application.agent_id_masked = mask_identifier(check.normalized)
    elif data.acting_as == ActingAs.PROXY_STAFF:
        if role in (Role.CITIZEN, Role.COMPANY):
            raise DomainError("bad_request", "帮代办只能由工作人员发起", 400)
        if data.proxy_mandate is None and not data.proxy_consent:
            raise DomainError("consent_required", "帮代办须先取得申请人同意，请选择确认方式", 400)
        # The mandate itself is locked (or recorded) in the transaction: `_submit`.
        application.proxy_staff = actor


def _proxy_mandate(actor: User, data: ApplicationInput, application: Application) -> ProxyMandate:
    """帮代办 needs the citizen's recorded consent: a mandate given earlier (a ticket's), or
    one recorded now at the window with the clerk as the agent."""
    if data.proxy_mandate is not None:
        return mandate_for_submission(actor, data.proxy_mandate, application.applicant_id_digest)
    assert data.applicant is not None  # staff applying: checked by _fill_applicant
    return proxy_mandate_record(
        actor,
        MandateInput(
            principal_name=data.applicant.name,
            principal_id_number=data.applicant.id_number,
            principal_phone=data.applicant.phone,
            agent=actor,
            scope=application.plan_name or data.bundle or data.item or "",
            consent_method=data.proxy_consent,
            consent_reference=data.proxy_consent_reference,
        ),
    )


def application_submit(
    actor: User,
    role: str,
    data: ApplicationInput,
    *,
    idempotency_key: str | None = None,
    draft: Application | None = None,
) -> Application:
    """Submit once: validate everything, then create the application, its materials and one
    case per item (pinned to the published versions) in one transaction.

    A retry with the same Idempotency-Key returns the application the first call created; the
    same key with a different request is a 409. The key is not looked up first: a retry is
    the rare case, so the unique (created_by, idempotency_key) constraint finds it when the
    application is inserted (waiting for a first attempt still in flight), the transaction
    rolls back, and the first application is answered. A request refused for its content is
    checked against the key too, so a reused key is a 409 whatever else is wrong.
    """
    digest = _request_digest(data)
    try:
        prepared = _prepare(actor, role, data, draft)
        # The numbers are taken after every check and before the transaction, in a statement
        # of their own: every submission of the day increments the same counter rows, and a
        # counter taken inside the transaction stays locked until its commit, so submissions
        # queued on it one at a time (docs/performance.md). A submission that fails after
        # this (a retry answered from its first attempt, a draft submitted twice at once, a
        # 帮代办 mandate revoked meanwhile) leaves a gap; the numbers stay unique and increasing.
        numbers = submission_numbers(
            [entry.code for entry in prepared.checklist.items], prepared.today
        )
        with transaction.atomic():
            return _submit(actor, role, data, prepared, numbers, idempotency_key, digest)
    except (IntegrityError, DomainError):
        # The key was used before, or by a concurrent retry that won the insert.
        if idempotency_key:
            existing = _replay(actor, idempotency_key, digest)
            if existing is not None:
                return existing
        raise


def _replay(actor: User, key: str, digest: str) -> Application | None:
    existing = Application.objects.filter(created_by=actor, idempotency_key=key).first()
    if existing is not None and existing.request_digest != digest:
        raise DomainError(
            "idempotency_key_reused", "该幂等键已用于另一份不同的申请，请换一个键", 409
        )
    return existing


@dataclass(frozen=True)
class _Prepared:
    """A submission checked and ready to write: everything here was only read."""

    today: datetime.date
    resolved: ResolvedPlan
    checklist: Checklist
    form: dict[str, Any]
    application: Application
    materials: MaterialPlan


def _prepare(
    actor: User, role: str, data: ApplicationInput, draft: Application | None
) -> _Prepared:
    """Every check a submission must pass, before anything is written or locked."""
    today = timezone.localdate()
    resolved = resolve_plan(data.bundle, data.item)
    checklist = _checklist(resolved, data.answers)
    form = clean_form(checklist.fields, data.form, today)
    window = role not in (Role.CITIZEN, Role.COMPANY)
    if draft is not None:
        _check_draft(actor, draft.status, draft.created_by_id)
        # A copy: the caller keeps its draft as it was when the submission is refused.
        application = copy.copy(draft)
    else:
        application = Application(created_by=actor)
    # The applicant is known first: whose e-licences may replace materials depends on it.
    _fill_applicant(application, actor, role, data)
    materials = plan_materials(
        checklist,
        data.materials,
        form,
        channel=data.channel,
        actor=actor,
        today=today,
        strict=not window,
        holder_id=application.applicant_id,
        licence_consent=data.licence_consent,
    )
    if application.service_centre_id is None:
        lead = resolved.items[checklist.items[0].code].department_id
        application.service_centre_id = service_centre_for(lead)
    return _Prepared(today, resolved, checklist, form, application, materials)


def _check_draft(actor: User, status: str | None, created_by_id: int | None) -> None:
    if status != ApplicationStatus.DRAFT or created_by_id != actor.pk:
        raise DomainError("not_a_draft", "该申请已提交，不能再次提交", 409)


def _submit(
    actor: User,
    role: str,
    data: ApplicationInput,
    prepared: _Prepared,
    numbers: tuple[str, dict[str, str]],
    idempotency_key: str | None,
    digest: str,
) -> Application:
    resolved, checklist, materials = prepared.resolved, prepared.checklist, prepared.materials
    application = prepared.application
    now = timezone.now()
    if application.pk is not None:
        # A draft, checked again under its row lock: two submissions of one draft, one wins.
        locked = (
            Application.objects.select_for_update()
            .filter(pk=application.pk)
            .values_list("status", "created_by_id")
            .first()
        )
        _check_draft(actor, *(locked or (None, None)))
        application.materials.all().delete()
    if data.acting_as == ActingAs.PROXY_STAFF:
        application.proxy_mandate = _proxy_mandate(actor, data, application)
    application.status = ApplicationStatus.SUBMITTED
    application.number, case_numbers = numbers
    application.bundle_version_id = resolved.bundle_version_id
    application.item_id = resolved.item_id
    application.plan_code = resolved.plan.code
    application.plan_name = resolved.plan.name
    application.channel = data.channel
    application.answers = checklist.answers
    application.form = prepared.form
    application.idempotency_key = idempotency_key or None
    application.request_digest = digest
    application.submitted_at = now
    application.licence_consent = data.licence_consent
    application.save()
    for row in materials.rows:
        row.application = application
    ApplicationMaterial.objects.bulk_create(materials.rows)
    cases = _fan_out(application, resolved, checklist, case_numbers, now)
    _record_licence_uses(application, materials, cases, actor, role)
    record_event(
        action="application.submit",
        object_type="application",
        object_id=application.number or application.pk,
        actor=actor,
        role=role,
        after={
            "plan": application.plan_code,
            "channel": application.channel,
            "acting_as": application.acting_as,
            "cases": {c.case_no: c.state for c in cases},
            # How the materials were provided, counted for the reform statistics.
            "provisions": dict(Counter(str(row.provision) for row in materials.rows)),
            **proxy_details(application),
        },
    )
    start_received_cases(application, cases, materials.checks, prepared.form)
    return application


def _record_licence_uses(
    application: Application,
    materials: MaterialPlan,
    cases: list[Case],
    actor: User,
    role: str,
) -> None:
    """用证记录: one LicenceUse (and audit event) per case whose item needed a material the
    applicant's held licence replaced — each department is accountable for its own use."""
    if not materials.licences:
        return
    departments = Department.objects.in_bulk({c.department_id for c in cases})
    for row in materials.rows:
        licence = materials.licences.get(row.key)
        if licence is None:
            continue
        for case in cases:
            if case.item_code in row.items:
                licence_use_record(
                    licence,
                    application=application,
                    case=case,
                    department=departments[case.department_id],
                    material_key=row.key,
                    material_name=row.name,
                    actor=actor,
                    role=role,
                )


def _fan_out(
    application: Application,
    resolved: ResolvedPlan,
    checklist: Checklist,
    numbers: dict[str, str],
    now: Any,
) -> list[Case]:
    """One case per item in play, routed to the item's department; waiting ones first wait."""
    cases: list[Case] = []
    for entry in checklist.items:
        pinned = resolved.items[entry.code]
        cases.append(
            Case(
                case_no=numbers[entry.code],
                application=application,
                item_id=pinned.item_id,
                item_version_id=pinned.version_id,
                item_code=entry.code,
                item_name=entry.name,
                bundle_code=application.plan_code if application.is_bundle else "",
                department_id=pinned.department_id,
                service_centre_id=application.service_centre_id,
                applicant_user_id=application.applicant_user_id,
                state=CaseState.WAITING if entry.waits_for else CaseState.RECEIVED,
                received_at=now,
            )
        )
    Case.objects.bulk_create(cases)
    by_code = dict(_codes(cases, checklist))
    links = [
        CaseLink(
            upstream=by_code[edge.upstream],
            downstream=by_code[edge.downstream],
            satisfies=edge.satisfies,
        )
        for edge in resolved.plan.edges
        if edge.upstream in by_code and edge.downstream in by_code
    ]
    CaseLink.objects.bulk_create(links)
    return cases


def _codes(cases: list[Case], checklist: Checklist) -> list[tuple[str, Case]]:
    return [(entry.code, case) for entry, case in zip(checklist.items, cases, strict=True)]
