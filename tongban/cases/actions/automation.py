"""Decisions and starts without a person: 秒批, upstream results releasing waiting cases,
and the post-approval verification of commitments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils import timezone
from json_logic import jsonLogic

from tongban.catalog.enums import ApprovalMode
from tongban.catalog.spec import ItemSpec
from tongban.core.audit import record_event
from tongban.core.workcalendar import current_calendar

from ..enums import CaseState, DecisionBy, Provision
from ..models import Application, ApplicationMaterial, Case, CaseLink, VerificationTask
from .lifecycle import (
    SYSTEM_ROLE,
    _accept,
    _decide,
    apply_transition,
    item_of,
    lock_case,
    missing_materials,
)

APPROVED_STATES = {CaseState.APPROVED, CaseState.APPROVED_DEFICIENT, CaseState.DELIVERED}


def nested(form: Mapping[str, Any]) -> dict[str, Any]:
    """{"employer.name": x} → {"employer": {"name": x}}: JSONLogic's var reads dotted paths."""
    tree: dict[str, Any] = {}
    for key, value in form.items():
        node = tree
        *parents, leaf = key.split(".")
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            node[leaf] = value
    return tree


def rule_holds(item: ItemSpec, form: Mapping[str, Any], checks: Mapping[str, Any]) -> bool:
    """Whether the 秒批 rule holds; an error in evaluation means "no" (a person decides)."""
    try:
        data: dict[str, Any] = {"form": nested(form), "checks": dict(checks)}
        return bool(jsonLogic(item.approval.rule, data))
    except (TypeError, ValueError, ArithmeticError):
        return False


def _data_checks(application_id: int) -> dict[str, bool | None]:
    return dict(
        ApplicationMaterial.objects.filter(
            application_id=application_id,
            replaced_at__isnull=True,
            provision=Provision.DATA_CHECK,
        ).values_list("key", "check_passed")
    )


def start_received_cases(
    application: Application,
    cases: list[Case],
    checks: Mapping[str, bool | None] | None = None,
    form: Mapping[str, Any] | None = None,
) -> None:
    """Run 秒批 on the received cases whose item has a rule (inside the caller's transaction).

    The system accepts and approves when every required material is there and the rule
    holds; otherwise the case stays with the window, with an event saying why.
    """
    auto = [c for c in cases if c.state == CaseState.RECEIVED]
    if not auto:
        return
    specs = {c.pk: item_of(c) for c in auto}
    auto = [c for c in auto if specs[c.pk].approval.mode == ApprovalMode.AUTO_RULE]
    if not auto:
        return
    form = application.form if form is None else form
    checks = _data_checks(application.pk) if checks is None else checks
    for case in auto:
        item = specs[case.pk]
        if missing_materials(case) or not rule_holds(item, form, checks):
            record_event(
                action="case.auto_rule_not_met",
                object_type="case",
                object_id=case.case_no,
                role=SYSTEM_ROLE,
                after={"rule": item.approval.rule, "rule_text": item.approval.rule_text},
            )
            continue
        locked = lock_case(case.case_no)
        _accept(locked, actor=None, role=SYSTEM_ROLE)
        _decide(
            locked,
            "approve",
            actor=None,
            role=SYSTEM_ROLE,
            by=DecisionBy.AUTO_RULE,
            item=item,
            details={"rule": item.approval.rule, "rule_text": item.approval.rule_text},
        )


def release_downstream(upstream: Case) -> None:
    """Start every waiting case whose upstream cases are now all approved, with the
    upstream results attached in place of the materials they replace."""
    links = CaseLink.objects.filter(upstream=upstream, downstream__state=CaseState.WAITING)
    for link in links.select_related("downstream"):
        downstream = link.downstream
        upstream_states = list(
            CaseLink.objects.filter(downstream=downstream).values_list("upstream__state", flat=True)
        )
        if not all(state in APPROVED_STATES for state in upstream_states):
            continue
        locked = lock_case(downstream.case_no)
        produced = _attach_results(locked)
        apply_transition(
            locked,
            "release",
            actor=None,
            role=SYSTEM_ROLE,
            changes={"received_at": timezone.now()},
            details={"upstream": upstream.case_no, "attached": produced},
        )
        start_received_cases(locked.application, [locked])


def _attach_results(case: Case) -> list[str]:
    """Point the materials this case gets from upstream results at the upstream cases.

    When the upstream case issued an e-licence, the material names that licence and the
    downstream department's use of it is recorded (用证记录), as for any other licence use.
    """
    from tongban.licences.actions import licence_use_record
    from tongban.licences.models import Licence, LicenceStatus

    attached = []
    links = CaseLink.objects.filter(downstream=case).select_related("upstream")
    item = item_of(case)
    for link in links:
        upstream = link.upstream
        replaced = [link.satisfies] if link.satisfies else []
        licence_key = item_of(upstream).result.licence_type
        replaced += [m.key for m in item.materials if licence_key and m.licence_type == licence_key]
        issued = (
            Licence.objects.filter(case=upstream, status=LicenceStatus.VALID).first()
            if licence_key
            else None
        )
        source_ref = (
            issued.identifier if issued else f"{upstream.case_no} {upstream.result_name}"[:200]
        )
        for key in dict.fromkeys(replaced):
            rows = list(
                ApplicationMaterial.objects.filter(
                    application_id=case.application_id, key=key, replaced_at__isnull=True
                )
            )
            ApplicationMaterial.objects.filter(pk__in=[r.pk for r in rows]).update(
                provision=Provision.PRODUCED, source_ref=source_ref
            )
            if issued is not None:
                for row in rows:
                    licence_use_record(
                        issued,
                        application=case.application,
                        case=case,
                        department=case.department,
                        material_key=row.key,
                        material_name=row.name,
                        actor=None,
                        role=SYSTEM_ROLE,
                    )
            attached.append(f"{key} ← {upstream.case_no}")
    return attached


def cancel_downstream(upstream: Case) -> None:
    """An upstream case that will not be approved ends what waits on it (and so on)."""
    for link in CaseLink.objects.filter(upstream=upstream, downstream__state=CaseState.WAITING):
        locked = lock_case(link.downstream.case_no)
        apply_transition(
            locked,
            "cancel",
            actor=None,
            role=SYSTEM_ROLE,
            details={
                "upstream": upstream.case_no,
                "reason": f"前置事项“{upstream.item_name}”{CaseState(upstream.state).label}",
            },
        )
        cancel_downstream(locked)


def open_verification(case: Case, item: ItemSpec) -> VerificationTask:
    """事后核查 of a commitment, due `verify_days` working days after the approval."""
    today = timezone.localdate()
    due = current_calendar().add_working_days(today, item.approval.verify_days).due
    task = VerificationTask.objects.create(case=case, department_id=case.department_id, due_on=due)
    record_event(
        action="verification.open",
        object_type="case",
        object_id=case.case_no,
        role=SYSTEM_ROLE,
        after={
            "label": "生成事后核查任务",
            "due_on": due.isoformat(),
            "department": case.department_id,
        },
    )
    return task
