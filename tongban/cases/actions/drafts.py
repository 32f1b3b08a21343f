"""Drafts (草稿): an unfinished application the applicant can leave and resume.

A draft is an `Application` with status draft: its answers, its form and one
`ApplicationMaterial` row per checklist material (provision not_provided for what is still
missing). Saving checks what is there — a malformed answer, ID number or date is refused —
but not what is missing; `application_submit(..., draft=draft)` then checks everything and
turns the same row into the submitted application.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from django.db import transaction
from django.utils import timezone

from tongban.catalog.checklist import build_checklist, validate_answers
from tongban.catalog.plan import Plan
from tongban.core.audit import record_event
from tongban.core.errors import DomainError
from tongban.core.models import Role, User

from ..enums import ApplicantKind, ApplicationStatus, Provision
from ..form import clean_form
from ..inputs import ApplicationInput, MaterialChoice
from ..materials import plan_materials
from ..models import Application, ApplicationMaterial
from ..plans import resolve_plan
from .submit import ONLINE_CHANNELS, STAFF_CHANNELS

PUBLIC_ROLES = (Role.CITIZEN, Role.COMPANY)

V = TypeVar("V")


def _applicable(values: Mapping[str, V], in_plan: set[str], in_checklist: set[str]) -> dict[str, V]:
    """Values for what this checklist asks. A key the plan knows but the current answers
    no longer ask for (an earlier answer changed) is dropped; a key the plan does not know
    at all is kept, so that validation refuses it instead of silently ignoring it."""
    return {k: v for k, v in values.items() if k in in_checklist or k not in in_plan}


def _plan_keys(plan: Plan) -> tuple[set[str], set[str]]:
    fields = {f.key for item in plan.items for f in item.fields}
    materials = {m.key for item in plan.items for m in item.materials}
    return fields, materials


def own_draft(actor: User, pk: int, *, lock: bool = False) -> Application:
    """The actor's draft `pk`; anyone else's (or a submitted one) does not exist."""
    query = Application.objects.filter(pk=pk, created_by=actor, status=ApplicationStatus.DRAFT)
    draft = (query.select_for_update() if lock else query).first()
    if draft is None:
        raise DomainError("not_found", "草稿不存在或已提交", 404)
    return draft


def application_save_draft(
    actor: User, role: str, data: ApplicationInput, draft: Application | None = None
) -> Application:
    """Create or update a draft; every malformed value is reported at once and nothing is
    written unless all of it is well-formed."""
    if data.channel not in (ONLINE_CHANNELS if role in PUBLIC_ROLES else STAFF_CHANNELS):
        raise DomainError("bad_channel", "申请渠道与当前身份不符", 400)
    today = timezone.localdate()
    resolved = resolve_plan(data.bundle, data.item)
    plan = resolved.plan
    checklist = build_checklist(plan, validate_answers(plan, data.answers))
    field_keys, material_keys = _plan_keys(plan)
    form = clean_form(
        checklist.fields,
        _applicable(data.form, field_keys, {f.key for f in checklist.fields}),
        today,
        partial=True,
    )
    choices: dict[str, MaterialChoice] = _applicable(
        data.materials, material_keys, {m.key for m in checklist.materials}
    )
    with transaction.atomic():
        materials = plan_materials(
            checklist,
            choices,
            form,
            channel=data.channel,
            actor=actor,
            today=today,
            strict=False,
            run_checks=False,  # registers are asked at submission, not on every save
            holder_id=draft_holder_id(actor, role, data),
            licence_consent=data.licence_consent,
        )
        if draft is None:
            application = Application(created_by=actor)
        else:
            application = own_draft(actor, draft.pk, lock=True)
            if application.plan_code != plan.code:
                raise DomainError("bad_request", "草稿与所申请的事项不一致", 400)
            application.materials.all().delete()
        _fill(application, actor, role, data)
        application.bundle_version_id = resolved.bundle_version_id
        application.item_id = resolved.item_id
        application.plan_code = plan.code
        application.plan_name = plan.name
        application.answers = checklist.answers
        application.form = form
        application.licence_consent = data.licence_consent
        application.save()
        for row in materials.rows:
            row.application = application
        ApplicationMaterial.objects.bulk_create(materials.rows)
        record_event(
            action="application.save_draft",
            object_type="application",
            object_id=application.pk,
            actor=actor,
            role=role,
            after={
                "plan": application.plan_code,
                "answers": len(checklist.answers),
                "fields": len(form),
                "pending_questions": len(checklist.questions),
                "materials": {r.key: r.provision for r in materials.rows},
            },
        )
    return application


def account_holder_id(actor: User, role: str) -> str:
    """The ID number (person) or credit code (company) of an applicant's own account."""
    return (actor.uscc if role == Role.COMPANY else actor.id_number) or ""


def draft_holder_id(actor: User, role: str, data: ApplicationInput) -> str:
    """Whose e-licences may replace materials: the account online, the walk-in at a window
    (checked properly only at submission, like the rest of the identity)."""
    if role in PUBLIC_ROLES:
        return account_holder_id(actor, role)
    return data.applicant.id_number if data.applicant is not None else ""


def _fill(application: Application, actor: User, role: str, data: ApplicationInput) -> None:
    """Who the draft is for; the identity itself is taken from the account at submission."""
    application.status = ApplicationStatus.DRAFT
    application.channel = data.channel
    if role in PUBLIC_ROLES:
        application.applicant_user = actor
        application.applicant_kind = (
            ApplicantKind.COMPANY if role == Role.COMPANY else ApplicantKind.PERSON
        )
        application.applicant_name = actor.full_name or actor.username
    elif data.applicant is not None:
        application.applicant_kind = data.applicant.kind
        application.applicant_name = data.applicant.name


def application_discard_draft(actor: User, role: str, draft: Application) -> None:
    """Delete a draft the actor no longer wants (its uploads stay, as uploads always do)."""
    with transaction.atomic():
        application = own_draft(actor, draft.pk, lock=True)
        pk, plan = application.pk, application.plan_code
        application.materials.all().delete()
        application.delete()
        record_event(
            action="application.discard_draft",
            object_type="application",
            object_id=pk,
            actor=actor,
            role=role,
            after={"plan": plan},
        )


def draft_choices(draft: Application) -> dict[str, MaterialChoice]:
    """The applicant's material choices as stored on the draft (what the system provides by
    itself — e-licences, data checks, upstream results — is worked out again each time)."""
    choices: dict[str, MaterialChoice] = {}
    rows = draft.materials.filter(replaced_at__isnull=True).select_related("upload")
    for row in rows:
        if row.provision == Provision.UPLOAD and row.upload is not None:
            choices[row.key] = MaterialChoice(Provision.UPLOAD, upload=str(row.upload.public_id))
        elif row.provision == Provision.COMMITMENT:
            choices[row.key] = MaterialChoice(Provision.COMMITMENT, agreed=True)
        elif row.provision == Provision.DEFERRED:
            choices[row.key] = MaterialChoice(Provision.DEFERRED, supply_by=row.supply_by)
    return choices


def draft_input(draft: Application, **overrides: Any) -> ApplicationInput:
    """The draft as the input of the next save or of the submission."""
    values: dict[str, Any] = {
        "bundle": draft.plan_code if draft.bundle_version_id else None,
        "item": None if draft.bundle_version_id else draft.plan_code,
        "channel": draft.channel,
        "answers": dict(draft.answers),
        "form": dict(draft.form),
        "materials": draft_choices(draft),
        "licence_consent": draft.licence_consent,
    }
    values.update(overrides)
    return ApplicationInput(**values)
