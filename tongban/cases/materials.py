"""From the checklist's materials and the applicant's choices to the material rows of an
application, with every problem reported at once."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from tongban.catalog.checklist import Checklist, ChecklistMaterial
from tongban.catalog.enums import MaterialSource, Necessity
from tongban.core.errors import DomainError
from tongban.core.models import Role, User

from .data_checks import run_check
from .enums import Channel, Provision
from .inputs import MaterialChoice
from .models import ApplicationMaterial, Upload

if TYPE_CHECKING:
    from tongban.licences.models import Licence

# 容缺后补: the applicant gets at most this long to supply a deferred material.
MAX_DEFER_DAYS = 90


class InvalidMaterials(DomainError):
    def __init__(self, problems: list[dict[str, str]]) -> None:
        super().__init__("invalid_materials", problems, status=400)
        self.problems = problems


def blocks_acceptance(material: ApplicationMaterial) -> bool:
    """A required material nobody has provided: the case cannot be accepted (一次性告知)."""
    return material.provision == Provision.NOT_PROVIDED and material.necessity == Necessity.REQUIRED


def uploadable(material: ChecklistMaterial) -> bool:
    """The applicant may hand in a file for it: an upload material, or an e-licence or
    data-check material not produced in the bundle (uploaded when no licence is held or the
    applicant declines, or when the register cannot answer)."""
    return material.applicant_provides or (
        material.produced_by is None
        and material.source in (MaterialSource.LICENCE, MaterialSource.DATA_CHECK)
    )


def reusable_licences(
    checklist: Checklist, holder_id: str, today: datetime.date
) -> dict[str, Licence]:
    """Material key → the applicant's valid licence that can replace it (免提交), one query.

    Materials produced upstream in the bundle are left out: the upstream case supplies them.
    """
    from tongban.licences.actions import held_licences

    wanted = {
        m.key: m.licence_type
        for m in checklist.materials
        if m.produced_by is None and m.source == MaterialSource.LICENCE and m.licence_type
    }
    if not wanted or not holder_id:
        return {}
    held = held_licences(holder_id, wanted.values(), today)
    return {key: held[kind] for key, kind in wanted.items() if kind in held}


@dataclass
class MaterialPlan:
    rows: list[ApplicationMaterial]
    checks: dict[str, bool | None]  # data-check material key → result, for 秒批 rules
    # Material key → the held licence that replaces it; a LicenceUse is due per case.
    licences: dict[str, Licence] = field(default_factory=dict)


def plan_materials(
    checklist: Checklist,
    choices: Mapping[str, MaterialChoice],
    form: Mapping[str, Any],
    *,
    channel: str,
    actor: User,
    today: datetime.date,
    strict: bool = True,
    holder_id: str = "",
    licence_consent: bool = False,
    run_checks: bool = True,
) -> MaterialPlan:
    """Unsaved ApplicationMaterial rows for the checklist; InvalidMaterials if any is wrong.

    `strict` (submission) requires every required material; a window clerk may still accept
    an application with a required material missing and then issue one 一次性告知.

    An e-licence material is provided by the licence only when the applicant (`holder_id`)
    holds a valid one of its type and consented; otherwise it is an ordinary upload, so no
    material is ever taken as "provided by licence" without a licence behind it.

    `run_checks` False (saving a draft) asks no register: a data-check material is recorded
    as pending unless the applicant already chose to supply it (kept for when the register
    is down at submission, which asks again).
    """
    known = {m.key for m in checklist.materials}
    problems = [
        {"material": key, "message": f"本申请不需要“{key}”这份材料"}
        for key in sorted(choices)
        if key not in known
    ]
    ids = [c.upload for c in choices.values() if c.upload]
    uploads = (
        {str(u.public_id): u for u in Upload.objects.filter(public_id__in=ids, owner=actor)}
        if ids
        else {}
    )
    # Without consent the licence store is not even consulted (the applicant said no).
    licences = reusable_licences(checklist, holder_id, today) if licence_consent else {}
    rows: list[ApplicationMaterial] = []
    checks: dict[str, bool | None] = {}
    now = timezone.now()
    for material in checklist.materials:
        row = ApplicationMaterial(
            key=material.key,
            name=material.name,
            necessity=material.necessity,
            items=list(material.items),
        )
        choice = choices.get(material.key)
        if not run_checks and material.source == MaterialSource.DATA_CHECK:
            automatic = _pending_check(material, choice, row)
        else:
            automatic = _automatic_provision(
                material, form, checklist, today, row, licences.get(material.key)
            )
        if automatic is not None:
            if material.source == MaterialSource.DATA_CHECK:
                checks[material.key] = row.check_passed
            rows.append(row)
            continue
        if (
            row.check_answer
            and _unanswered(choice, strict)
            and material.necessity != Necessity.OPTIONAL
        ):
            # The register could not answer: the material is supplied like any other (an
            # optional one may simply stay missing, as _apply_choice lets it).
            row.provision = Provision.NOT_PROVIDED
            problems.append({"material": material.key, "message": _fallback_message(row, channel)})
            rows.append(row)
            continue
        problem = _apply_choice(material, choice, row, uploads, channel, today, now, strict)
        if problem:
            problems.append({"material": material.key, "message": f"{material.name}：{problem}"})
        rows.append(row)
    if problems:
        raise InvalidMaterials(problems)
    used = {row.key for row in rows if row.provision == Provision.LICENCE}
    return MaterialPlan(rows, checks, {k: v for k, v in licences.items() if k in used})


def _automatic_provision(
    material: ChecklistMaterial,
    form: Mapping[str, Any],
    checklist: Checklist,
    today: datetime.date,
    row: ApplicationMaterial,
    licence: Licence | None,
) -> str | None:
    """Fill `row` for a material nobody hands in; None when the applicant must act."""
    if material.produced_by is not None:
        return _produced(material, row)
    elif material.source == MaterialSource.LICENCE and licence is not None:
        row.provision = Provision.LICENCE
        row.source_ref = licence.identifier
    elif material.source == MaterialSource.DATA_CHECK:
        result = run_check(material.register, form, checklist.fields, today)
        row.check_answer = result.answer
        row.source_ref = f"{material.register}：{result.detail}"[:200]
        if result.unavailable:
            return None  # supplied by upload or paper instead; the answer records why
        row.provision = Provision.DATA_CHECK
        row.check_passed = result.passed
    else:
        return None
    return str(row.provision)


def _pending_check(
    material: ChecklistMaterial, choice: MaterialChoice | None, row: ApplicationMaterial
) -> str | None:
    if material.produced_by is not None:
        return _produced(material, row)
    if choice is not None and choice.provision != Provision.NOT_PROVIDED:
        return None  # the applicant's own file or paper, kept in the draft
    row.provision = Provision.DATA_CHECK
    row.source_ref = f"{material.register}：提交时核验"[:200]
    return str(row.provision)


def _produced(material: ChecklistMaterial, row: ApplicationMaterial) -> str:
    row.provision = Provision.PRODUCED
    row.source_ref = material.produced_by or ""
    return str(row.provision)


def _unanswered(choice: MaterialChoice | None, strict: bool) -> bool:
    """No way to supply the material was chosen (a clerk may choose 未提供 on purpose)."""
    return choice is None or (strict and choice.provision == Provision.NOT_PROVIDED)


def _fallback_message(row: ApplicationMaterial, channel: str) -> str:
    detail = row.source_ref
    how = "收取纸质材料或上传扫描件" if channel == Channel.WINDOW else "上传该材料"
    return f"{row.name}：数据核验暂时无法完成（{detail}），请{how}，已填写的内容不会丢失"


def _apply_choice(
    material: ChecklistMaterial,
    choice: MaterialChoice | None,
    row: ApplicationMaterial,
    uploads: Mapping[str, Upload],
    channel: str,
    today: datetime.date,
    now: datetime.datetime,
    strict: bool,
) -> str | None:
    """Fill `row` from the applicant's choice; a Chinese problem, or None when fine."""
    if material.source == MaterialSource.COMMITMENT:
        if choice is None or choice.provision != Provision.COMMITMENT or not choice.agreed:
            row.provision = Provision.NOT_PROVIDED
            return "本材料实行告知承诺，请阅读承诺内容并勾选同意" if strict else None
        row.provision = Provision.COMMITMENT
        row.commitment_text = material.commitment
        row.committed_at = now
        return None
    if choice is None or choice.provision == Provision.NOT_PROVIDED:
        row.provision = Provision.NOT_PROVIDED
        if material.necessity == Necessity.REQUIRED and strict:
            if material.source == MaterialSource.LICENCE:
                return "必须提供：请上传文件，或持有该电子证照的同意调用后免提交"
            return "必须提供"
        return None
    if choice.provision == Provision.UPLOAD:
        upload = uploads.get(str(choice.upload or ""))
        if upload is None:
            return "找不到上传的文件（请重新上传）"
        row.provision = Provision.UPLOAD
        row.upload = upload
        return None
    if choice.provision == Provision.PAPER:
        if channel != Channel.WINDOW:
            return "只有窗口受理时才能收取纸质材料"
        row.provision = Provision.PAPER
        return None
    if choice.provision == Provision.DEFERRED:
        if material.necessity != Necessity.DEFERRABLE:
            return "本材料不适用容缺后补"
        latest = today + datetime.timedelta(days=MAX_DEFER_DAYS)
        if choice.supply_by is None or not today < choice.supply_by <= latest:
            return f"请填写补交期限（明天起{MAX_DEFER_DAYS}天内）"
        row.provision = Provision.DEFERRED
        row.supply_by = choice.supply_by
        return None
    return f"不支持的提供方式“{choice.provision}”"


def resubmitted_rows(
    application: Any,
    asked: list[str],
    choices: Mapping[str, MaterialChoice],
    *,
    actor: User,
) -> list[ApplicationMaterial]:
    """New material rows answering a supplement notice: every asked material must come."""
    current = {
        m.key: m
        for m in ApplicationMaterial.objects.filter(
            application_id=application.pk, replaced_at__isnull=True
        )
    }
    problems = [
        {"material": key, "message": f"一次性告知要求补正“{current[key].name}”，请提供"}
        for key in asked
        if key in current and key not in choices
    ]
    problems += [
        {"material": key, "message": f"本申请没有“{key}”这份材料"}
        for key in choices
        if key not in current
    ]
    ids = [c.upload for c in choices.values() if c.upload]
    uploads = {str(u.public_id): u for u in Upload.objects.filter(public_id__in=ids)}
    rows = []
    for key, choice in choices.items():
        old = current.get(key)
        if old is None:
            continue
        upload = uploads.get(str(choice.upload or ""))
        if upload is not None and upload.owner_id not in (actor.pk, application.created_by_id):
            upload = None
        # Paper is received only by a person at a window (the clerk), whatever the channel
        # the application first came through.
        at_window = application.channel == Channel.WINDOW or actor.has_role(Role.CLERK)
        if choice.provision == Provision.PAPER and at_window:
            provision = Provision.PAPER
        elif choice.provision == Provision.UPLOAD and upload is not None:
            provision = Provision.UPLOAD
        else:
            problems.append({"material": key, "message": f"{old.name}：请上传补正后的文件"})
            continue
        rows.append(
            ApplicationMaterial(
                application=application,
                key=key,
                name=old.name,
                necessity=old.necessity,
                items=old.items,
                provision=provision,
                upload=upload if provision == Provision.UPLOAD else None,
            )
        )
    if problems:
        raise InvalidMaterials(problems)
    return rows
