"""Helpers to fill an application the way a careful applicant would."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from tongban.catalog.checklist import Checklist, build_checklist
from tongban.catalog.enums import FieldKind, MaterialSource, Necessity
from tongban.cases.enums import Provision
from tongban.cases.inputs import ApplicationInput, MaterialChoice
from tongban.cases.plans import resolve_plan
from tongban.core.identifiers import make_resident_id
from tongban.core.models import User

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
        elif material.source == MaterialSource.UPLOAD:
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
