"""Guide use cases: edit the colloquial knowledge, and tell every process's index that the
catalog or the knowledge changed. Each write runs in one transaction with its audit event."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from tongban.core.audit import record_event
from tongban.core.errors import DomainError
from tongban.core.models import User

from .models import GuideState, Synonym
from .tokens import normalize


class InvalidSynonym(DomainError):
    def __init__(self, detail: str) -> None:
        super().__init__("invalid_synonym", detail, status=400)


def guide_index_changed() -> None:
    """Renew the freshness token (see GuideState). Call inside the transaction that changes
    the published catalog or the synonyms: a rollback takes the new token with it."""
    values = {"token": uuid.uuid4().hex, "changed_at": timezone.now()}
    if not GuideState.objects.filter(pk=1).update(**values):
        GuideState.objects.create(pk=1, **values)


def clean_synonym(phrase: str, terms: str) -> tuple[str, str]:
    """The phrase and terms as the engine compares them (queries are NFKC, lower case)."""
    phrase = normalize(phrase).replace(" ", "")
    words = normalize(terms).split()
    if not phrase:
        raise InvalidSynonym("口语说法不能为空")
    if not words:
        raise InvalidSynonym("请至少填写一个规范用语")
    if words == [phrase]:
        raise InvalidSynonym("规范用语与口语说法相同，无需添加")
    return phrase, " ".join(dict.fromkeys(words))


def _snapshot(synonym: Synonym) -> dict[str, object]:
    return {
        "phrase": synonym.phrase,
        "terms": synonym.terms,
        "note": synonym.note,
        "is_active": synonym.is_active,
    }


def guide_save_synonym(
    *,
    phrase: str,
    terms: str,
    actor: User | None,
    note: str = "",
    is_active: bool = True,
    synonym: Synonym | None = None,
) -> Synonym:
    """Create a synonym, or change `synonym`; switching one off is a change (is_active)."""
    phrase, terms = clean_synonym(phrase, terms)
    with transaction.atomic():
        clash = Synonym.objects.filter(phrase=phrase)
        if synonym is not None and synonym.pk is not None:
            clash = clash.exclude(pk=synonym.pk)
        if clash.exists():
            raise InvalidSynonym(f"口语说法“{phrase}”已存在")
        before = None
        if synonym is None or synonym.pk is None:
            synonym = synonym or Synonym()
        else:
            synonym = Synonym.objects.select_for_update().get(pk=synonym.pk)
            before = _snapshot(synonym)
        synonym.phrase, synonym.terms, synonym.note = phrase, terms, note
        synonym.is_active, synonym.updated_by = is_active, actor
        after = _snapshot(synonym)
        if before == after:
            return synonym  # nothing changed: no event, no rebuild
        synonym.save()
        record_event(
            action="guide.synonym_changed" if before else "guide.synonym_created",
            object_type="guide.Synonym",
            object_id=synonym.pk,
            actor=actor,
            before=before,
            after=after,
        )
        guide_index_changed()
        return synonym
