"""The applicant's wizard forms: parse what the browser posts, and build what the templates
show (plain dataclasses with the Chinese labels filled in, so templates need no lookups).

Input names: ``a-<question>`` (answers, as on the public 情形引导 page), ``f-<field>`` (the
one form), and per material ``file-<key>`` (a new file), ``u-<key>`` (the upload already
attached), ``defer-<key>`` + ``supply-<key>`` (容缺后补 and its date), ``agree-<key>`` (告知承诺), and
once per application ``licence_consent`` (同意调用电子证照, 免提交).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.http import QueryDict

from tongban.catalog.checklist import Checklist, ChecklistField, ChecklistMaterial
from tongban.catalog.enums import FieldKind, MaterialSource, Necessity
from tongban.catalog.forms import question_rows
from tongban.catalog.pages import checklist_view
from tongban.catalog.plan import Plan
from tongban.core.errors import DomainError
from tongban.core.identifiers import mask_identifier
from tongban.core.models import Role, User

from .enums import Provision
from .inputs import MaterialChoice
from .materials import uploadable
from .models import Upload

if TYPE_CHECKING:
    from tongban.licences.models import Licence

FIELD_PREFIX = "f-"
NEEDS_WORD = {
    Necessity.REQUIRED: "必须",
    Necessity.OPTIONAL: "非必须",
    Necessity.DEFERRABLE: "可容缺后补",
}


# ---------------------------------------------------------------- errors


@dataclass
class Problems:
    """A DomainError's detail split into messages per key (field, material, question) and
    messages that belong to no input."""

    by_key: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.by_key or self.general)

    def all(self) -> list[str]:
        return [*self.by_key.values(), *self.general]


def problems_of(exc: DomainError) -> Problems:
    problems = Problems()
    detail = exc.detail
    if isinstance(detail, dict):
        detail = [detail]
    if not isinstance(detail, list):
        problems.general.append(str(detail))
        return problems
    for entry in detail:
        if not isinstance(entry, dict):
            problems.general.append(str(entry))
            continue
        message = str(entry.get("message") or entry.get("text") or "")
        key = entry.get("field") or entry.get("material") or entry.get("question")
        if key and message:
            # Two problems on one input read as one sentence each.
            previous = problems.by_key.get(str(key))
            problems.by_key[str(key)] = f"{previous}；{message}" if previous else message
        elif key:  # a pending question: {"question", "text"}
            problems.by_key[str(key)] = f"请回答：{entry.get('text', key)}"
        elif message:
            problems.general.append(message)
    return problems


# ---------------------------------------------------------------- the one form


INPUT_TYPES = {
    FieldKind.TEXT: "text",
    FieldKind.DATE: "date",
    FieldKind.NUMBER: "number",
    FieldKind.RESIDENT_ID: "text",
    FieldKind.USCC: "text",
    FieldKind.PHONE: "tel",
    FieldKind.ADDRESS: "textarea",
    FieldKind.CHOICE: "select",
}
INPUT_MODES = {
    FieldKind.NUMBER: "decimal",
    FieldKind.PHONE: "tel",
    FieldKind.RESIDENT_ID: "text",
}
MAX_LENGTHS = {FieldKind.RESIDENT_ID: 18, FieldKind.USCC: 18, FieldKind.PHONE: 20}
PLACEHOLDERS = {
    FieldKind.RESIDENT_ID: "18位公民身份号码",
    FieldKind.USCC: "18位统一社会信用代码",
    FieldKind.PHONE: "11位手机号码",
}


@dataclass
class FieldRow:
    key: str
    name: str
    label: str
    kind: str
    input_type: str
    input_mode: str
    max_length: int | None
    placeholder: str
    required: bool
    options: list[tuple[str, str]]
    value: str
    error: str
    help: str
    shared_by: int
    prefilled: bool


def input_fields(fields: list[ChecklistField]) -> list[ChecklistField]:
    """The fields typed into the form (files are handed in as materials)."""
    return [f for f in fields if f.kind != FieldKind.FILE]


def parse_form(fields: list[ChecklistField], data: QueryDict) -> dict[str, str]:
    """The posted value of each form field; a blank input is a field not filled in."""
    values = {}
    for f in input_fields(fields):
        raw = (data.get(FIELD_PREFIX + f.key) or "").strip()
        if raw:
            values[f.key] = raw
    return values


def account_values(user: User, role: str) -> dict[str, str]:
    """What the account already says about the applicant, by shared field key."""
    if role == Role.COMPANY:
        values = {
            "enterprise.name": user.full_name,
            "enterprise.uscc": user.uscc,
            "applicant.phone": user.phone,
            "contact.phone": user.phone,
        }
    else:
        values = {
            "applicant.name": user.full_name,
            "applicant.id_number": user.id_number,
            "applicant.phone": user.phone,
        }
    return {k: v for k, v in values.items() if v}


def field_rows(
    fields: list[ChecklistField],
    values: Mapping[str, Any],
    problems: Problems,
    prefill: Mapping[str, str] | None = None,
) -> list[FieldRow]:
    rows = []
    for f in input_fields(fields):
        value = values.get(f.key)
        prefilled = value in (None, "") and bool(prefill and prefill.get(f.key))
        if prefilled and prefill is not None:
            value = prefill[f.key]
        rows.append(
            FieldRow(
                key=f.key,
                name=FIELD_PREFIX + f.key,
                label=f.label,
                kind=f.kind,
                input_type=INPUT_TYPES.get(FieldKind(f.kind), "text"),
                input_mode=INPUT_MODES.get(FieldKind(f.kind), ""),
                max_length=MAX_LENGTHS.get(FieldKind(f.kind)),
                placeholder=PLACEHOLDERS.get(FieldKind(f.kind), ""),
                required=f.required,
                options=f.options,
                value="" if value is None else str(value),
                error=problems.by_key.get(f.key, ""),
                help=f.help,
                shared_by=len(f.items),
                prefilled=prefilled,
            )
        )
    return rows


def display_value(f: ChecklistField, value: Any) -> str:
    if value in (None, ""):
        return ""
    if f.kind == FieldKind.CHOICE:
        return dict(f.options).get(str(value), str(value))
    return str(value)


# ---------------------------------------------------------------- materials


@dataclass
class MaterialRow:
    key: str
    name: str
    necessity: str
    necessity_word: str
    # upload (the applicant hands it in), commitment, free (无需提交), licence (a held
    # e-licence can replace it: 免提交 with consent, an upload without)
    kind: str
    reason: str  # why it is free
    commitment: str
    description: str  # 原件 · 纸质或电子 · 1 份 · standard
    items: list[str]
    upload: Upload | None
    deferred: bool
    supply_by: str
    agreed: bool
    error: str
    licence: Licence | None = None  # the applicant's held licence, for kind licence
    consented: bool = False  # the application's licence_consent

    @property
    def by_licence(self) -> bool:
        return self.kind == "licence" and self.consented

    @property
    def needs_upload(self) -> bool:
        return self.kind == "upload" or (self.kind == "licence" and not self.consented)

    @property
    def licence_line(self) -> str:
        if self.licence is None:
            return ""
        licence = self.licence
        return (
            f"免提交：使用您的电子证照《{licence.licence_type.name}》"
            f"（证照编号 {licence.number}，{licence.issuer_name}颁发）"
        )

    @property
    def deferrable(self) -> bool:
        return self.necessity == Necessity.DEFERRABLE

    @property
    def required(self) -> bool:
        return self.necessity == Necessity.REQUIRED

    @property
    def missing(self) -> bool:
        if self.needs_upload:
            return self.upload is None and not self.deferred
        return self.kind == "commitment" and not self.agreed

    @property
    def sha_short(self) -> str:
        return self.upload.sha256[:12] if self.upload else ""


def _kind(material: ChecklistMaterial, held: bool, register_down: bool = False) -> str:
    if material.produced_by is None and material.source == MaterialSource.LICENCE:
        return "licence" if held else "upload"
    if register_down:  # a data check the register could not answer: upload it instead
        return "upload"
    if material.applicant_provides:
        return "upload"
    if material.applicant_agrees:
        return "commitment"
    return "free"


def material_rows(
    plan: Plan,
    checklist: Checklist,
    choices: Mapping[str, MaterialChoice],
    uploads: Mapping[str, Upload],
    problems: Problems,
    names: Mapping[str, str],
    held: Mapping[str, Licence] | None = None,
    consent: bool = False,
) -> list[MaterialRow]:
    """`held`: material key → the applicant's licence that can replace it (免提交)."""
    held = held or {}
    view = checklist_view(plan, checklist, names)
    shown = {row["key"]: row for group in ("provide", "agree", "free") for row in view[group]}
    rows = []
    for material in checklist.materials:
        row = shown[material.key]
        choice = choices.get(material.key)
        provision = choice.provision if choice else ""
        parts = [row["form"], row["format"], f"{row['copies']} 份"]
        if row["standard"]:
            parts.append(row["standard"])
        rows.append(
            MaterialRow(
                key=material.key,
                name=material.name,
                necessity=material.necessity,
                necessity_word=NEEDS_WORD.get(Necessity(material.necessity), ""),
                kind=_kind(
                    material,
                    material.key in held,
                    register_down=material.source == MaterialSource.DATA_CHECK
                    and (material.key in problems.by_key or provision == Provision.UPLOAD),
                ),
                reason=row["reason"],
                commitment=material.commitment,
                description=" · ".join(parts),
                items=row["items"],
                upload=uploads.get(choice.upload or "") if choice else None,
                deferred=provision == Provision.DEFERRED,
                supply_by=(choice.supply_by.isoformat() if choice and choice.supply_by else ""),
                agreed=provision == Provision.COMMITMENT and bool(choice and choice.agreed),
                error=problems.by_key.get(material.key, ""),
                licence=held.get(material.key),
                consented=consent,
            )
        )
    return rows


def uploads_by_id(user: User, choices: Mapping[str, MaterialChoice]) -> dict[str, Upload]:
    ids = [c.upload for c in choices.values() if c.upload]
    if not ids:
        return {}
    return {str(u.public_id): u for u in Upload.objects.filter(public_id__in=ids, owner=user)}


def _date(raw: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(raw.strip())
    except ValueError:
        return None


def parse_material_choices(
    checklist: Checklist, data: QueryDict, new_uploads: Mapping[str, str]
) -> dict[str, MaterialChoice]:
    """The applicant's choices as posted; `new_uploads` maps a material key to the public id
    of a file received in this very request."""
    choices: dict[str, MaterialChoice] = {}
    for material in checklist.materials:
        key = material.key
        if material.applicant_agrees:
            if data.get(f"agree-{key}"):
                choices[key] = MaterialChoice(Provision.COMMITMENT, agreed=True)
        elif uploadable(material):
            upload = new_uploads.get(key) or (data.get(f"u-{key}") or "").strip()
            if material.necessity == Necessity.DEFERRABLE and data.get(f"defer-{key}"):
                supply_by = _date(data.get(f"supply-{key}") or "")
                choices[key] = MaterialChoice(Provision.DEFERRED, supply_by=supply_by)
            elif upload:
                choices[key] = MaterialChoice(Provision.UPLOAD, upload=upload)
    return choices


def parse_licence_consent(data: QueryDict) -> bool:
    return bool(data.get("licence_consent"))


def upload_keys(checklist: Checklist) -> list[str]:
    return [m.key for m in checklist.materials if uploadable(m)]


# ---------------------------------------------------------------- review


@dataclass
class ReviewMaterial:
    key: str
    name: str
    necessity_word: str
    how: str  # in plain words: 已上传 x.pdf / 告知承诺 / 容缺后补 … / 无需提交：reason
    upload: Upload | None
    missing: bool


def review_materials(rows: list[MaterialRow]) -> list[ReviewMaterial]:
    result = []
    for row in rows:
        if row.kind == "free":
            how = f"无需提交：{row.reason}"
        elif row.by_licence and row.licence is not None:
            how = (
                f"电子证照免提交：《{row.licence.licence_type.name}》"
                f"（证照编号 {row.licence.number}）"
            )
        elif row.kind == "commitment":
            how = "告知承诺：已阅读并承诺" if row.agreed else "告知承诺：尚未承诺"
        elif row.deferred:
            how = f"容缺后补：{row.supply_by or '（未填写补交日期）'}前补交"
        elif row.upload is not None:
            how = f"已上传：{row.upload.original_name}"
        else:
            how = "未提供"
        result.append(
            ReviewMaterial(
                key=row.key,
                name=row.name,
                necessity_word=row.necessity_word,
                how=how,
                upload=row.upload if row.needs_upload and not row.deferred else None,
                missing=row.missing and row.necessity != Necessity.OPTIONAL,
            )
        )
    return result


def review_fields(fields: list[ChecklistField], form: Mapping[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for f in input_fields(fields):
        value = display_value(f, form.get(f.key))
        if value and f.kind == FieldKind.RESIDENT_ID:
            # The review page may be read over a shoulder: the number was checked already.
            value = mask_identifier(value)
        rows.append({"key": f.key, "label": f.label, "value": value, "required": f.required})
    return rows


def review_answers(plan: Plan, checklist: Checklist) -> list[dict[str, str]]:
    return [
        {"key": q.key, "text": q.text, "answer": q.answer_label}
        for q in question_rows(plan, checklist)
        if q.answered
    ]
