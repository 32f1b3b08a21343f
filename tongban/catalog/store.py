"""Database ↔ spec: read a version into plain data, write plain data as a new draft.

Published versions are immutable, so their specs are cached in process memory by
primary key; drafts are always read fresh.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Prefetch

from tongban.core.models import Department

from .enums import VersionStatus
from .models import (
    Bundle,
    BundleEdge,
    BundleMember,
    BundleQuestion,
    BundleVersion,
    Fee,
    FormField,
    ItemQuestion,
    ItemVersion,
    Material,
    ReviewStep,
    ServiceItem,
)
from .spec import (
    ApprovalSpec,
    BundleSpec,
    DepartmentSpec,
    EdgeSpec,
    FeeSpec,
    FieldSpec,
    ItemSpec,
    Limit,
    MaterialSpec,
    MemberSpec,
    QuestionSpec,
    ResultSpec,
    StepSpec,
)

# Keyed by (pk, published_at): a rolled-back test may reuse a primary key, a timestamp won't.
_published_items: dict[tuple[int, Any], ItemSpec] = {}
_published_bundles: dict[tuple[int, Any], BundleSpec] = {}


# Version pk → spec of a published or superseded version (what cases pin; never changes).
_pinned_items: dict[int, ItemSpec] = {}


def clear_spec_cache() -> None:
    _published_items.clear()
    _published_bundles.clear()
    _pinned_items.clear()


def pinned_item_specs(version_ids: Iterable[int]) -> dict[int, ItemSpec]:
    """Version pk → spec for versions cases are pinned to (published or superseded)."""
    wanted = set(version_ids)
    missing = wanted - _pinned_items.keys()
    if missing:
        for version in item_versions_with_content().filter(pk__in=missing):
            if version.status == VersionStatus.DRAFT:
                raise ValueError(f"item version {version.pk} is a draft; cases pin published ones")
            _pinned_items[version.pk] = item_spec(version)
    return {pk: _pinned_items[pk] for pk in wanted if pk in _pinned_items}


ITEM_PREFETCH = ("materials", "questions", "fields", "steps", "fees")


def item_versions_with_content() -> Any:
    return ItemVersion.objects.select_related("item__department").prefetch_related(*ITEM_PREFETCH)


def bundle_versions_with_content() -> Any:
    return BundleVersion.objects.select_related("bundle", "lead_department").prefetch_related(
        Prefetch("members", queryset=BundleMember.objects.select_related("item")),
        Prefetch("edges", queryset=BundleEdge.objects.select_related("upstream", "downstream")),
        "questions",
    )


def _question_spec(row: ItemQuestion | BundleQuestion) -> QuestionSpec:
    return QuestionSpec(
        key=row.key,
        text=row.text,
        kind=row.kind,
        options=row.options,
        when=row.when,
        help=row.help,
    )


def item_spec(version: ItemVersion) -> ItemSpec:
    """The spec of a version (prefetch with `item_versions_with_content()` for lists)."""
    key = (version.pk, version.published_at)
    if version.status != VersionStatus.DRAFT and key in _published_items:
        return _published_items[key]
    spec = ItemSpec(
        code=version.item.code,
        basic_code=version.item.basic_code,
        department=version.item.department.code,
        name=version.name,
        keywords=version.keywords,
        type=version.item_type,
        service_objects=version.service_objects,
        statutory_limit=Limit(days=version.statutory_limit, unit=version.statutory_unit),
        promised_limit=Limit(days=version.promised_limit, unit=version.promised_unit),
        case_kind=version.case_kind,
        visits=version.visits,
        visits_reason=version.visits_reason,
        online_depth=version.online_depth,
        delivery=version.delivery,
        cross_region=version.cross_region,
        legal_basis=version.legal_basis,
        accept_conditions=version.accept_conditions,
        result=ResultSpec(
            type=version.result_type,
            name=version.result_name,
            licence_type=version.result_licence_type,
        ),
        approval=ApprovalSpec(
            mode=version.approval_mode,
            rule=version.approval_rule,
            rule_text=version.approval_rule_text,
            verify_days=version.verify_days,
        ),
        location=version.location,
        hours=version.hours,
        phone=version.phone,
        steps=[StepSpec(name=s.name, days=s.days) for s in version.steps.all()],
        fees=[
            FeeSpec(name=f.name, standard=f.standard, basis=f.basis, reducible=f.reducible)
            for f in version.fees.all()
        ],
        questions=[_question_spec(q) for q in version.questions.all()],
        materials=[
            MaterialSpec(
                key=m.key,
                name=m.name,
                form=m.form,
                format=m.format,
                copies=m.copies,
                necessity=m.necessity,
                source=m.source,
                licence_type=m.licence_type,
                register=m.register,
                commitment=m.commitment,
                standard=m.standard,
                blank_form=m.blank_form,
                sample=m.sample,
                when=m.when,
            )
            for m in version.materials.all()
        ],
        fields=[
            FieldSpec(
                key=f.key,
                label=f.label,
                kind=f.kind,
                required=f.required,
                options=f.options,
                when=f.when,
                help=f.help,
            )
            for f in version.fields.all()
        ],
    )
    if version.status != VersionStatus.DRAFT:
        _published_items[key] = spec
    return spec


def bundle_spec(version: BundleVersion) -> BundleSpec:
    key = (version.pk, version.published_at)
    if version.status != VersionStatus.DRAFT and key in _published_bundles:
        return _published_bundles[key]
    spec = BundleSpec(
        code=version.bundle.code,
        name=version.name,
        keywords=version.keywords,
        audience=version.audience,
        theme=version.theme,
        lead_department=version.lead_department.code,
        description=version.description,
        steps=version.steps,
        questions=[_question_spec(q) for q in version.questions.all()],
        items=[MemberSpec(item=m.item.code, when=m.when) for m in version.members.all()],
        edges=[
            EdgeSpec.model_validate(
                {"from": e.upstream.code, "to": e.downstream.code, "satisfies": e.satisfies}
            )
            for e in version.edges.all()
        ],
    )
    if version.status != VersionStatus.DRAFT:
        _published_bundles[key] = spec
    return spec


def department_spec(department: Department) -> DepartmentSpec:
    return DepartmentSpec(
        code=department.code,
        name=department.name,
        short_name=department.short_name,
        region=department.region_id,
        uscc=department.uscc,
        kind=department.kind,
        phone=department.phone,
    )


def _current_specs(
    owners: Any, cache: dict[tuple[int, Any], Any], load: Any, codes: Iterable[str] | None
) -> dict[str, Any]:
    """Code → spec of each owner's published version: one query when all are cached
    (published versions never change), else the missing ones are loaded with their content."""
    return {code: spec for code, (spec, _) in _current(owners, cache, load, codes).items()}


def _current(
    owners: Any,
    cache: dict[tuple[int, Any], Any],
    load: Any,
    codes: Iterable[str] | None,
    extra: tuple[str, ...] = (),
) -> dict[str, tuple[Any, tuple[Any, ...]]]:
    """Code → (spec, (published version id, *extra owner columns)) in the same one query."""
    current = owners.filter(published__isnull=False)
    if codes is not None:
        current = current.filter(code__in=list(codes))
    found: dict[str, tuple[Any, tuple[Any, ...]]] = {}
    missing: dict[str, tuple[Any, ...]] = {}  # code → row, for versions not yet cached
    for code, version_id, published_at, *values in current.values_list(
        "code", "published_id", "published__published_at", *extra
    ):
        row = (version_id, *values)
        cached = cache.get((version_id, published_at))
        if cached is not None:
            found[code] = (cached, row)
        else:
            missing[code] = row
    for spec in load([row[0] for row in missing.values()]) if missing else []:
        found[spec.code] = (spec, missing[spec.code])
    return found


def published_bundle_versions(codes: Iterable[str]) -> dict[str, tuple[BundleSpec, int]]:
    """Code → (spec, published version id) of the given bundles, in one query when cached."""
    return {
        code: (spec, row[0])
        for code, (spec, row) in _current(
            Bundle.objects,
            _published_bundles,
            lambda ids: [bundle_spec(v) for v in bundle_versions_with_content().filter(pk__in=ids)],
            codes,
        ).items()
    }


def published_item_pins(codes: Iterable[str]) -> dict[str, tuple[ItemSpec, int, int, int]]:
    """Code → (spec, item id, published version id, department id), one query when cached."""
    return {
        code: (spec, item_id, version_id, department_id)
        for code, (spec, (version_id, item_id, department_id)) in _current(
            ServiceItem.objects,
            _published_items,
            lambda ids: [item_spec(v) for v in item_versions_with_content().filter(pk__in=ids)],
            codes,
            ("pk", "department_id"),
        ).items()
    }


def published_item_specs(codes: Iterable[str] | None = None) -> dict[str, ItemSpec]:
    """Code → spec of the published version, for all items or the given codes."""
    return _current_specs(
        ServiceItem.objects,
        _published_items,
        lambda ids: [item_spec(v) for v in item_versions_with_content().filter(pk__in=ids)],
        codes,
    )


def published_bundle_specs(codes: Iterable[str] | None = None) -> dict[str, BundleSpec]:
    """Code → spec of the published version, for all bundles or the given codes."""
    return _current_specs(
        Bundle.objects,
        _published_bundles,
        lambda ids: [bundle_spec(v) for v in bundle_versions_with_content().filter(pk__in=ids)],
        codes,
    )


def _question_rows(
    version_field: str, version: Any, questions: list[QuestionSpec], model: Any
) -> list[Any]:
    return [
        model(
            **{version_field: version},
            position=index,
            key=q.key,
            text=q.text,
            kind=q.kind,
            options=[o.model_dump() for o in q.options],
            when=q.when,
            help=q.help,
        )
        for index, q in enumerate(questions)
    ]


def write_item_content(version: ItemVersion, spec: ItemSpec) -> None:
    """Fill a new (unsaved) draft version and its child rows from a spec."""
    version.name = spec.name
    version.keywords = list(spec.keywords)
    version.item_type = spec.type
    version.service_objects = list(spec.service_objects)
    version.statutory_limit = spec.statutory_limit.days
    version.statutory_unit = spec.statutory_limit.unit
    version.promised_limit = spec.promised_limit.days
    version.promised_unit = spec.promised_limit.unit
    version.case_kind = spec.case_kind
    version.visits = spec.visits
    version.visits_reason = spec.visits_reason
    version.online_depth = spec.online_depth
    version.delivery = list(spec.delivery)
    version.cross_region = spec.cross_region
    version.legal_basis = spec.legal_basis
    version.accept_conditions = spec.accept_conditions
    version.result_type = spec.result.type
    version.result_name = spec.result.name
    version.result_licence_type = spec.result.licence_type
    version.approval_mode = spec.approval.mode
    version.approval_rule = spec.approval.rule
    version.approval_rule_text = spec.approval.rule_text
    version.verify_days = spec.approval.verify_days
    version.location = spec.location
    version.hours = spec.hours
    version.phone = spec.phone
    version.save()
    ReviewStep.objects.bulk_create(
        ReviewStep(version=version, position=i, name=s.name, days=s.days)
        for i, s in enumerate(spec.steps)
    )
    Fee.objects.bulk_create(
        Fee(
            version=version,
            position=i,
            name=f.name,
            standard=f.standard,
            basis=f.basis,
            reducible=f.reducible,
        )
        for i, f in enumerate(spec.fees)
    )
    ItemQuestion.objects.bulk_create(
        _question_rows("version", version, list(spec.questions), ItemQuestion)
    )
    Material.objects.bulk_create(
        Material(
            version=version,
            position=i,
            key=m.key,
            name=m.name,
            form=m.form,
            format=m.format,
            copies=m.copies,
            necessity=m.necessity,
            source=m.source,
            licence_type=m.licence_type,
            register=m.data_register,
            commitment=m.commitment,
            standard=m.standard,
            blank_form=m.blank_form,
            sample=m.sample,
            when=m.when,
        )
        for i, m in enumerate(spec.materials)
    )
    FormField.objects.bulk_create(
        FormField(
            version=version,
            position=i,
            key=f.key,
            label=f.label,
            kind=f.kind,
            required=f.required,
            options=[o.model_dump() for o in f.options],
            when=f.when,
            help=f.help,
        )
        for i, f in enumerate(spec.fields)
    )


def write_bundle_content(version: BundleVersion, spec: BundleSpec) -> None:
    items = {i.code: i for i in ServiceItem.objects.filter(code__in=spec.member_codes())}
    version.name = spec.name
    version.keywords = list(spec.keywords)
    version.audience = spec.audience
    version.theme = spec.theme
    version.lead_department = Department.objects.get(code=spec.lead_department)
    version.description = spec.description
    version.steps = list(spec.steps)
    version.save()
    BundleQuestion.objects.bulk_create(
        _question_rows("version", version, list(spec.questions), BundleQuestion)
    )
    BundleMember.objects.bulk_create(
        BundleMember(version=version, position=i, item=items[m.item], when=m.when)
        for i, m in enumerate(spec.items)
    )
    BundleEdge.objects.bulk_create(
        BundleEdge(
            version=version,
            position=i,
            upstream=items[e.upstream],
            downstream=items[e.downstream],
            satisfies=e.satisfies,
        )
        for i, e in enumerate(spec.edges)
    )
