"""The published catalog as search documents: one per bundle (一件事) and one per item (事项).

Fields carry weights (a name counts three times a material); the index repeats a field's
terms `weight` times, the usual poor man's BM25F. Only published versions are read, through
the catalog's spec cache, in code order so that every database gives the same documents.
"""

from __future__ import annotations

from dataclasses import dataclass

from tongban.catalog.enums import Audience, ServiceObject
from tongban.catalog.spec import BundleSpec, ItemSpec, QuestionSpec
from tongban.catalog.store import published_bundle_specs, published_item_specs
from tongban.core.models import Department

# Everyday names (俗称) are names people use for the thing itself (疫苗本 for 预防接种证): they
# count nearly as much as the official name, a little less because each is one of several
# ways of saying it. They name the thing, so they are part of its title (see GuideDoc).
KEYWORD_WEIGHT = 3

BUNDLE = "bundle"
ITEM = "item"
# Whom a document serves: a bundle's audience; an item's service objects (自然人 only →
# person, no 自然人 → company, both → ""). A person's story damps company documents.
PERSON = Audience.PERSON.value
COMPANY = Audience.COMPANY.value


@dataclass(frozen=True)
class GuideDoc:
    kind: str  # BUNDLE | ITEM
    code: str
    name: str
    # (text, weight) pairs; the first field is always the name. Everyday names are not
    # here but in `aliases`.
    fields: tuple[tuple[str, int], ...]
    # The words that name the thing itself (name, result or theme): a query that matches an
    # item only through these of its bundle's words is asking for the bundle (see search).
    title: tuple[str, ...]
    # Everyday names (俗称) from the catalog. The index adds them to the title too, but
    # counts each of their distinct words once (×KEYWORD_WEIGHT) and leaves their lone
    # characters out of the title (开 of 开饭店): see index.build_index.
    aliases: tuple[str, ...] = ()
    members: tuple[str, ...] = ()  # a bundle's item codes
    audience: str = ""  # PERSON | COMPANY | "" (both)


def _question_text(question: QuestionSpec) -> str:
    labels = " ".join(label for _, label in question.option_pairs() if label not in ("是", "否"))
    return f"{question.text} {labels}"


def item_doc(spec: ItemSpec, department: str) -> GuideDoc:
    return GuideDoc(
        kind=ITEM,
        code=spec.code,
        name=spec.name,
        fields=(
            (spec.name, 4),
            (spec.result.name, 2),
            (department, 1),
            (" ".join(m.name for m in spec.materials), 1),
            (" ".join(_question_text(q) for q in spec.questions), 1),
            (spec.accept_conditions[:300], 1),
        ),
        title=(spec.name, spec.result.name),
        aliases=tuple(spec.keywords),
        audience=_item_audience(spec),
    )


def _item_audience(spec: ItemSpec) -> str:
    objects = set(spec.service_objects)
    if objects == {ServiceObject.PERSON.value}:
        return PERSON
    return COMPANY if ServiceObject.PERSON.value not in objects else ""


def bundle_doc(spec: BundleSpec, member_names: list[str], department: str) -> GuideDoc:
    return GuideDoc(
        kind=BUNDLE,
        code=spec.code,
        name=spec.name,
        fields=(
            (spec.name, 4),
            (spec.theme, 2),
            (spec.description, 1),
            (department, 1),
            (" ".join(member_names), 1),
            (" ".join(_question_text(q) for q in spec.questions), 1),
        ),
        title=(spec.name, spec.theme),
        aliases=tuple(spec.keywords),
        members=tuple(spec.member_codes()),
        audience=spec.audience,
    )


def catalog_documents(
    items: dict[str, ItemSpec], bundles: dict[str, BundleSpec], departments: dict[str, str]
) -> list[GuideDoc]:
    """Documents of the given specs (code → spec; department code → name): bundles first,
    each kind in code order. Pure, so tests and the benchmark need no database."""
    docs = []
    for code in sorted(bundles):
        bundle = bundles[code]
        names = [items[c].name for c in bundle.member_codes() if c in items]
        docs.append(bundle_doc(bundle, names, departments.get(bundle.lead_department, "")))
    for code in sorted(items):
        item = items[code]
        docs.append(item_doc(item, departments.get(item.department, "")))
    return docs


def published_documents() -> list[GuideDoc]:
    """Every published bundle and item (through the catalog's spec cache)."""
    departments = dict(Department.objects.values_list("code", "name"))
    return catalog_documents(published_item_specs(), published_bundle_specs(), departments)
