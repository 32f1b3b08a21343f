"""Applications and cases as JSON-ready dicts (API) — personal data masked unless asked."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from tongban.core.models import AuditEvent
from tongban.core.workcalendar import WorkCalendar, current_calendar

from .enums import NATIONAL_STATE, PLAIN_WORDS, CaseState
from .models import Application, ApplicationMaterial, Case, Notice
from .queries import BundleStatus, case_warning
from .transitions import TRANSITIONS


def _date(value: Any) -> str | None:
    return value.isoformat() if value else None


def case_summary(case: Case, warning: str | None = None) -> dict[str, Any]:
    state = CaseState(case.state)
    return {
        "case_no": case.case_no,
        "application": case.application.number,
        "item_code": case.item_code,
        "item_name": case.item_name,
        "department": case.department.code,
        "department_name": case.department.name,
        "state": case.state,
        "state_label": state.label,
        "plain_words": PLAIN_WORDS[state],
        "national_state": NATIONAL_STATE[state],
        "received_at": _date(case.received_at),
        "accepted_on": _date(case.accepted_on),
        "statutory_due": _date(case.statutory_due),
        "promised_due": _date(case.promised_due),
        "due_provisional": case.due_provisional,
        "paused_working_days": case.paused_working_days,
        "warning": warning if warning is not None else case_warning(case),
        "decision_by": case.decision_by,
        "decided_at": _date(case.decided_at),
        "applicant_name": case.application.applicant_name,
        "applicant_id": case.application.applicant_id_masked,
    }


def summaries(cases: list[Case], cal: WorkCalendar | None = None) -> list[dict[str, Any]]:
    """Summaries of many cases with one calendar snapshot (no query per row)."""
    today, cal = timezone.localdate(), cal or current_calendar()
    return [case_summary(c, case_warning(c, today, cal)) for c in cases]


# What an applicant sees instead of a staff member's account name.
PUBLIC_ACTOR = {"system": "系统", "citizen": "申请人", "company": "申请人", "clerk": "政务服务中心"}


def event_dict(event: AuditEvent, department_name: str | None = None) -> dict[str, Any]:
    """One timeline entry; with `department_name` (the applicant's view) staff appear as
    their department or the service centre, never by account name."""
    action = event.action.removeprefix("case.")
    after = event.after or {}
    transition = TRANSITIONS.get(action)
    return {
        "seq": event.seq,
        "at": event.occurred_at.isoformat(),
        "action": event.action,
        "label": after.get("label") or (transition.label if transition else event.action),
        "actor": (
            event.actor_name or "系统"
            if department_name is None
            else PUBLIC_ACTOR.get(event.role or "system", department_name)
        ),
        "role": event.role,
        "channel": event.channel,
        "from_state": (event.before or {}).get("state"),
        "to_state": after.get("state"),
        "details": {k: v for k, v in after.items() if k not in ("state", "label")},
    }


def notice_dict(notice: Notice) -> dict[str, Any]:
    return {
        "number": notice.number,
        "kind": notice.kind,
        "title": notice.get_kind_display(),
        "issued_at": notice.issued_at.isoformat(),
        "pdf": f"/api/v1/cases/{notice.case.case_no}/notices/{notice.number}.pdf",
    }


def material_dict(material: ApplicationMaterial) -> dict[str, Any]:
    return {
        "key": material.key,
        "name": material.name,
        "necessity": material.necessity,
        "provision": material.provision,
        "provision_label": material.get_provision_display(),
        "file": (
            {
                "id": str(material.upload.public_id),
                "name": material.upload.original_name,
                "content_type": material.upload.content_type,
                "size": material.upload.size,
                "sha256": material.upload.sha256,
            }
            if material.upload
            else None
        ),
        "supply_by": _date(material.supply_by),
        "source": material.source_ref,
        "check_passed": material.check_passed,
        "items": material.items,
    }


def application_dict(
    application: Application,
    cases: list[Case],
    status: BundleStatus,
    cal: WorkCalendar | None = None,
) -> dict[str, Any]:
    return {
        "number": application.number,
        "status": application.status,
        "plan": application.plan_code,
        "name": application.plan_name,
        "is_bundle": application.is_bundle,
        "channel": application.channel,
        "applicant_name": application.applicant_name,
        "applicant_id": application.applicant_id_masked,
        "acting_as": application.acting_as,
        "submitted_at": _date(application.submitted_at),
        "bundle_status": status.label,
        "bundle_due": _date(status.due),
        "bundle_due_provisional": status.provisional,
        "cases": summaries(cases, cal),
    }
