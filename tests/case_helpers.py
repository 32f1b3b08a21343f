"""Helpers to fill an application the way a careful applicant would."""

from __future__ import annotations

import datetime
import functools
import zoneinfo
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from tongban.cases.enums import Provision
from tongban.cases.inputs import ApplicationInput, MaterialChoice
from tongban.cases.models import Application, Case
from tongban.cases.plans import resolve_plan
from tongban.cases.transitions import TRANSITIONS
from tongban.catalog.checklist import Checklist, build_checklist
from tongban.catalog.enums import FieldKind, MaterialSource, Necessity
from tongban.catalog.spec import CatalogSpec
from tongban.core.identifiers import make_resident_id
from tongban.core.models import AuditEvent, User

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

SAMPLE_BY_KIND: dict[str, Any] = {
    FieldKind.TEXT: "李小宝",
    FieldKind.DATE: "2026-11-01",
    FieldKind.NUMBER: 1,
    FieldKind.RESIDENT_ID: make_resident_id("43060219920315402"),
    FieldKind.USCC: "91430600MA4L0000XX",
    FieldKind.PHONE: "13807300001",
    FieldKind.ADDRESS: "湖南省岳阳市岳阳楼区金鹗中路1号",
}


def sample_form(checklist: Checklist) -> dict[str, Any]:
    from tongban.core.identifiers import make_uscc

    form: dict[str, Any] = {}
    for field in checklist.fields:
        if field.kind == FieldKind.FILE:
            continue
        if field.kind == FieldKind.CHOICE:
            form[field.key] = field.options[0][0]
        elif field.kind == FieldKind.USCC:
            form[field.key] = make_uscc("91430600MA4L00001")
        else:
            form[field.key] = SAMPLE_BY_KIND[field.kind]
    return form


def make_upload(owner: User, name: str = "材料.pdf") -> str:
    from tongban.cases.actions.uploads import upload_material

    upload = upload_material(owner, SimpleUploadedFile(name, PDF_BYTES, "application/pdf"))
    return str(upload.public_id)


def sample_materials(
    checklist: Checklist, owner: User, *, skip: tuple[str, ...] = ()
) -> dict[str, MaterialChoice]:
    choices: dict[str, MaterialChoice] = {}
    for material in checklist.materials:
        if material.key in skip or material.produced_by is not None:
            continue
        if material.source == MaterialSource.COMMITMENT:
            choices[material.key] = MaterialChoice(Provision.COMMITMENT, agreed=True)
        elif material.source in (MaterialSource.UPLOAD, MaterialSource.LICENCE):
            # An e-licence material is uploaded unless a held licence is used (免提交 needs
            # the applicant's consent and a licence: tests/test_licence_reuse.py).
            if material.necessity == Necessity.OPTIONAL:
                continue
            choices[material.key] = MaterialChoice(Provision.UPLOAD, upload=make_upload(owner))
    return choices


def checklist_for(
    answers: dict[str, Any], bundle: str | None = None, item: str | None = None
) -> Checklist:
    return build_checklist(resolve_plan(bundle, item).plan, answers)


def application_input(
    owner: User,
    answers: dict[str, Any],
    *,
    bundle: str | None = None,
    item: str | None = None,
    **overrides: Any,
) -> ApplicationInput:
    checklist = checklist_for(answers, bundle, item)
    values: dict[str, Any] = {
        "bundle": bundle,
        "item": item,
        "answers": answers,
        "form": sample_form(checklist),
        "materials": sample_materials(checklist, owner),
    }
    values.update(overrides)
    return ApplicationInput(**values)


def today() -> datetime.date:
    from django.utils import timezone

    return timezone.localdate()


# --- the case-engine tests (tests/test_case_*.py) ------------------------------------------

CASE_CATALOG = Path(__file__).parent / "data" / "case-catalog.yaml"
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
# The transition actions recorded as `case.<action>` audit events.
TRANSITION_EVENTS = tuple(f"case.{action}" for action in TRANSITIONS)


@functools.cache
def case_catalog_spec() -> CatalogSpec:
    from tongban.catalog.catalog_file import parse_catalog_text

    return parse_catalog_text(CASE_CATALOG.read_text(encoding="utf-8"))


def import_case_catalog(*codes: str) -> None:
    """tests/data/case-catalog.yaml imported and published (needs the demo departments).

    With codes (items or bundles), only those and the members of those bundles: importing
    costs about 0.06 s an item, and most tests need one or two.
    """
    from tongban.catalog.actions import catalog_import

    spec = case_catalog_spec()
    if codes:
        bundles = [b for b in spec.bundles if b.code in codes]
        wanted = set(codes) | {code for b in bundles for code in b.member_codes()}
        spec = spec.model_copy(
            update={"items": [i for i in spec.items if i.code in wanted], "bundles": bundles}
        )
    catalog_import(spec, actor=None)


def shanghai(year: int, month: int, day: int, hour: int = 10) -> datetime.datetime:
    """A moment on a local (Asia/Shanghai) day, for time_machine.travel."""
    return datetime.datetime(year, month, day, hour, tzinfo=SHANGHAI)


def submit(
    actor: User,
    *,
    bundle: str | None = None,
    item: str | None = None,
    answers: dict[str, Any] | None = None,
    role: str = "citizen",
    idempotency_key: str | None = None,
    **overrides: Any,
) -> Application:
    """Submit a complete application (every required material uploaded) as `actor`."""
    from tongban.cases.actions.submit import application_submit

    data = application_input(actor, answers or {}, bundle=bundle, item=item, **overrides)
    return application_submit(actor, role, data, idempotency_key=idempotency_key)


def cases_by_item(application: Application) -> dict[str, Case]:
    return {case.item_code: case for case in application.cases.order_by("pk")}


def approver_of(case: Case) -> User:
    return User.objects.get(username=f"approver-{case.department.code}")


def transition_events(case_no: str) -> list[AuditEvent]:
    """The state-changing audit events of one case, in chain order."""
    return list(
        AuditEvent.objects.filter(
            object_type="case", object_id=case_no, action__in=TRANSITION_EVENTS
        ).order_by("chain", "seq")
    )


def accept(case_no: str) -> Case:
    """受理 at the window, by the demo clerk."""
    from tongban.cases.actions.lifecycle import case_accept

    return case_accept(case_no, actor=User.objects.get(username="clerk"), role="clerk")


def advance_to_last_step(case_no: str) -> Case:
    """Pass every review step but the deciding one, as the department's approver."""
    from tongban.cases.actions.lifecycle import case_advance, item_of, review_steps

    case = Case.objects.select_related("department").get(case_no=case_no)
    approver = approver_of(case)
    for _ in range(case.step_index, len(review_steps(item_of(case))) - 1):
        case = case_advance(case_no, actor=approver, role="approver")
    return case


def approve_through(case_no: str, *, accept_first: bool = True) -> Case:
    """Accept (optionally), pass every review step and approve, as the right personas."""
    from tongban.cases.actions.lifecycle import case_approve

    if accept_first:
        accept(case_no)
    case = advance_to_last_step(case_no)
    return case_approve(case_no, actor=approver_of(case), role="approver")


def grow_case_record(case: Case, rows: int) -> None:
    """More of what a case's and its application's detail pages list: materials of the
    case's item and audit events of the case (for query counts that must not grow)."""
    from tongban.cases.models import ApplicationMaterial
    from tongban.core.audit import record_event

    for index in range(rows):
        ApplicationMaterial.objects.create(
            application=case.application,
            key=f"extra-{index}",
            name=f"补充材料{index}",
            necessity="required",
            provision=Provision.PAPER,
            items=[case.item_code],
        )
        record_event(action="case.note", object_type="case", object_id=case.case_no)


def tc_licence_type() -> Any:
    """The licence type that the test catalog's TCHAINUP01 results in."""
    from tongban.licences.models import LicenceType

    return LicenceType.objects.create(
        key="tc_licence_a",
        code="11100000000013338W011",
        name="测试证明甲",
        holder_kind="person",
        validity_years=2,
        fields=[
            {"key": "f1", "label": "申请人", "source": "applicant.name"},
            {"key": "f2", "label": "办件编号", "source": "case.case_no"},
        ],
    )
