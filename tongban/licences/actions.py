"""Licence use cases: issue on approval, revoke, correct (a new version), record a use.

Each runs inside the caller's transaction or its own, writes the audit event in it, and
signs the canonical record (records.py) with the active key of the key ring.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from tongban.core.audit import record_event
from tongban.core.errors import DomainError
from tongban.core.fieldcrypto import lookup_digest
from tongban.core.models import Department, Role, User

from .identifier import build_identifier, next_version
from .models import HolderKind, Licence, LicenceStatus, LicenceType, LicenceUse
from .records import sign

if TYPE_CHECKING:
    from tongban.cases.models import Application, Case


def _add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _face_value(source: str, case: Case) -> str:
    application = case.application
    if source == "applicant.name":
        return application.applicant_name
    if source == "applicant.id":
        return application.applicant_id
    if source == "case.case_no":
        return case.case_no
    if source == "case.decided_on":
        decided = case.decided_at or timezone.now()
        return timezone.localtime(decided).date().isoformat()
    value = (application.form or {}).get(source, "")
    return "" if value is None else str(value)


def face_data(licence_type: LicenceType, case: Case) -> dict[str, str]:
    """The licence face: each configured field, by its label, from the application."""
    data = {}
    for field in licence_type.fields:
        value = _face_value(str(field.get("source", "")), case)
        if value:
            data[str(field["label"])] = value
    return data


def _serial(licence_type: LicenceType, issuer: Department, day: datetime.date) -> str:
    from tongban.cases.numbering import take_numbers

    number = take_numbers(f"licence:{licence_type.code}:{issuer.uscc}", day)[0]
    return f"{day:%Y%m%d}{number:06d}"


def licence_issue(case: Case, *, actor: User | None, role: str) -> Licence | None:
    """Issue the licence an approved case produces (its item's result type), signed.

    None when the result is not a licence type the platform knows (a document or a record).
    Runs in the caller's transaction (the decision), so a failure rolls the approval back.
    """
    from tongban.cases.actions.lifecycle import item_of

    key = item_of(case).result.licence_type
    licence_type = LicenceType.objects.filter(key=key).first() if key else None
    if licence_type is None:
        return None
    application = case.application
    issuer = case.department
    today = timezone.localdate()
    serial = _serial(licence_type, issuer, today)
    identifier = build_identifier(licence_type.code, issuer.uscc, serial, 1)
    holder_kind = (
        HolderKind.ORGANISATION if application.applicant_kind == "company" else HolderKind.PERSON
    )
    licence = Licence(
        identifier=str(identifier),
        base=identifier.base,
        version=1,
        licence_type=licence_type,
        number=serial,
        holder_name=application.applicant_name,
        holder_id=application.applicant_id,
        holder_id_digest=application.applicant_id_digest,
        holder_id_masked=application.applicant_id_masked,
        holder_kind=holder_kind,
        holder_user=application.applicant_user,
        issuer=issuer,
        issuer_code=issuer.uscc,
        issuer_name=issuer.name,
        issued_on=today,
        expires_on=(
            _add_years(today, licence_type.validity_years) if licence_type.validity_years else None
        ),
        data=face_data(licence_type, case),
        case=case,
    )
    sign(licence)
    licence.save()
    record_event(
        action="licence.issue",
        object_type="licence",
        object_id=licence.identifier,
        actor=actor,
        role=role,
        after={
            "case": case.case_no,
            "type": licence_type.key,
            "issuer": issuer.uscc,
            "key_id": licence.key_id,
            "expires_on": licence.expires_on.isoformat() if licence.expires_on else None,
        },
    )
    return licence


def _lock_valid(identifier: str) -> Licence:
    licence = Licence.objects.select_for_update().filter(identifier=identifier).first()
    if licence is None:
        raise DomainError("not_found", f"电子证照“{identifier}”不存在", 404)
    if licence.status != LicenceStatus.VALID:
        raise DomainError(
            "licence_not_valid",
            {
                "message": f"该证照{licence.get_status_display()}，不能再撤销或更正",
                "status": licence.status,
            },
            409,
        )
    return licence


def is_issuer_staff(user: User, licence: Licence) -> bool:
    """An approver of the issuing department: who may revoke or correct the licence."""
    return any(
        assignment.department_id == licence.issuer_id
        for assignment in user.assignments_by_role().get(Role.APPROVER, [])
    )


def _may_manage(licence: Licence, actor: User) -> None:
    if not is_issuer_staff(actor, licence):
        raise DomainError("forbidden", "只有颁发机构可以撤销或更正该证照", 403)


def licence_revoke(identifier: str, *, actor: User | None, role: str, reason: str) -> Licence:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason_required", "请填写撤销证照的原因", 400)
    with transaction.atomic():
        licence = _lock_valid(identifier)
        if actor is not None:
            _may_manage(licence, actor)
        _set_status(licence, LicenceStatus.REVOKED, reason)
        record_event(
            action="licence.revoke",
            object_type="licence",
            object_id=licence.identifier,
            actor=actor,
            role=role,
            before={"status": LicenceStatus.VALID},
            after={"status": LicenceStatus.REVOKED, "reason": reason},
        )
        return licence


def _set_status(licence: Licence, status: str, reason: str) -> None:
    licence.status = status
    licence.status_reason = reason
    licence.status_changed_at = timezone.now()
    licence.save(update_fields=["status", "status_reason", "status_changed_at"])


def licence_correct(
    identifier: str,
    *,
    actor: User,
    role: str,
    reason: str,
    data: Mapping[str, str] | None = None,
    holder_name: str | None = None,
    expires_on: datetime.date | None = None,
) -> Licence:
    """更正: a new version with the same base identifier; the old one is superseded."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason_required", "请填写更正的原因", 400)
    with transaction.atomic():
        old = _lock_valid(identifier)
        _may_manage(old, actor)
        new_data = {**old.data, **{k: v for k, v in (data or {}).items() if v}}
        if new_data == old.data and holder_name in (None, old.holder_name) and expires_on is None:
            raise DomainError("nothing_changed", "更正内容与原证照相同", 400)
        _set_status(old, LicenceStatus.SUPERSEDED, reason)
        new_id = next_version(old.identifier)
        new = Licence.objects.get(pk=old.pk)
        new.pk = None
        new.identifier = str(new_id)
        new.version = new_id.version
        new.data = new_data
        new.holder_name = holder_name or old.holder_name
        new.expires_on = expires_on or old.expires_on
        new.issued_on = timezone.localdate()
        new.status, new.status_reason, new.status_changed_at = LicenceStatus.VALID, "", None
        sign(new)
        new.save(force_insert=True)
        record_event(
            action="licence.correct",
            object_type="licence",
            object_id=new.identifier,
            actor=actor,
            role=role,
            before={"identifier": old.identifier, "data": old.data},
            after={"identifier": new.identifier, "data": new.data, "reason": reason},
        )
        return new


def revoke_case_licences(case: Case, *, actor: User | None, role: str, reason: str) -> None:
    """A revoked decision takes its licences with it (same transaction as the revocation)."""
    for licence in Licence.objects.select_for_update().filter(
        case=case, status=LicenceStatus.VALID
    ):
        _set_status(licence, LicenceStatus.REVOKED, reason)
        record_event(
            action="licence.revoke",
            object_type="licence",
            object_id=licence.identifier,
            actor=actor,
            role=role,
            before={"status": LicenceStatus.VALID},
            after={"status": LicenceStatus.REVOKED, "reason": reason, "case": case.case_no},
        )


def held_licence(holder_id: str, type_key: str, day: datetime.date) -> Licence | None:
    """The holder's newest valid, unexpired licence of a type (for 免提交)."""
    return held_licences(holder_id, [type_key], day).get(type_key)


def held_licences(
    holder_id: str, type_keys: Iterable[str], day: datetime.date
) -> dict[str, Licence]:
    """The holder's newest valid, unexpired licence of each type, in one query."""
    digest = lookup_digest(holder_id)
    keys = {k for k in type_keys if k}
    if not digest or not keys:
        return {}
    held: dict[str, Licence] = {}
    for licence in (
        Licence.objects.filter(
            holder_id_digest=digest, licence_type__key__in=keys, status=LicenceStatus.VALID
        )
        .select_related("licence_type")
        .order_by("-issued_on", "-pk")
    ):
        key = licence.licence_type.key
        if key not in held and licence.status_on(day) == LicenceStatus.VALID:
            held[key] = licence
    return held


def licence_use_record(
    licence: Licence,
    *,
    application: Application,
    case: Case | None,
    department: Department,
    material_key: str,
    material_name: str,
    actor: User | None,
    role: str,
) -> LicenceUse:
    use = LicenceUse.objects.create(
        licence=licence,
        application=application,
        case=case,
        department=department,
        material_key=material_key,
        material_name=material_name,
    )
    record_event(
        action="licence.use",
        object_type="licence",
        object_id=licence.identifier,
        actor=actor,
        role=role,
        after={
            "application": application.number,
            "case": case.case_no if case else None,
            "department": department.pk,
            "material": material_key,
        },
    )
    return use
