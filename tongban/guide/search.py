"""Smart guidance (智能导办): a citizen's own words → the bundle or item to apply for.

`guide_search` is the one entry point for the API, the portal, the window clerk's screen
and the hotline desk. Steps:

1. normalise (NFKC, lower case) and cut to MAX_QUERY_CHARS;
2. jieba terms of the query; homophone typos corrected through pinyin (不办 → 补办, see
   typos); the catalog terms of every synonym phrase the corrected text contains
   (生孩子 → 出生 新生儿; 护口 → 户口); a one-character query uses the title characters;
3. BM25 score per term, summed; each result keeps the terms that hit it (`matched`);
4. audience: a person's own story (我, 孩子, 退休 …) damps documents that serve companies
   only, and a query that names nobody damps them a little; life events: a bundle whose own name or theme covers every term an item of it
   matched is what the person is asking about, so it is put just above that item — unless
   the person named one item of it (开死亡证明), which then stays above the bundle;
5. order by score, then bundles before items, then code — the same on every database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from django.urls import reverse

from tongban.core.errors import DomainError

from .documents import BUNDLE, GuideDoc
from .index import CHAR_PREFIX, GuideIndex, current_index
from .tokens import MAX_QUERY_CHARS, PART_WEIGHT, PERSON_WORDS, cjk_chars, normalize
from .typos import Correction

DEFAULT_LIMIT = 10
MAX_LIMIT = 50
CANDIDATES = 200  # documents ranked in full (matched terms, life events); > MAX_LIMIT
LIFT = 1.05  # how far above its item a named life event is put
# A synonym's catalog terms count a little less than the person's own words: 改名后身份证
# is first about 身份证, then about what 改名 means in the catalog.
SYNONYM_WEIGHT = 0.8
# A homophone typo's correction (不办 → 补办) counts as much as a synonym's terms: it is the
# person's own word, spelled as the catalog spells it, but a guess.
TYPO_WEIGHT = SYNONYM_WEIGHT
_SPACE = re.compile(r"\s+")
# A person telling their own story (我, family, life stages) is not asking for company
# matters, even when the story mentions the employer: 社保一直是单位交的 … 办退休 must not
# land on 企业开办. Documents serving companies only count AUDIENCE_DAMPING of their score
# then — unless the person speaks for a business (我公司, 我们厂, 开个店). 单位 and 企业
# are not such markers: people say them of their employer.
PERSON_MARKERS = (*PERSON_WORDS, "退休", "去世")
COMPANY_MARKERS = ("公司", "厂", "店", "法人", "员工", "营业执照", "个体", "商户")
AUDIENCE_DAMPING = 0.7
# A query that says nothing about who asks (医保, 社保, 医保卡改名字) is most often a person's:
# companies' staff name their side (单位, 企业, 公司 …). Documents serving companies only then
# count NEUTRAL_DAMPING, which decides between a person's item and its company twin of about
# the same score (职工 vs 单位职工基本医疗保险参保登记) and little else. 0.85 rather than
# round 3's 0.9: the company twins' everyday names (单位公积金变更 beside 公积金信息变更)
# bring them as close to a person's words as the person's item; 0.8 changed nothing more
# on the development sets, so the milder value stays.
EMPLOYER_MARKERS = ("单位", "企业")
NEUTRAL_DAMPING = 0.85


class EmptyQuery(DomainError):
    def __init__(self) -> None:
        super().__init__("empty_query", "请输入要办理的事情，例如“孩子出生要办什么”", status=400)


@dataclass(frozen=True)
class GuideResult:
    kind: str  # "bundle" | "item"
    code: str
    name: str
    score: float
    matched: tuple[str, ...]  # catalog terms of the query that hit this result

    @property
    def url(self) -> str:
        """The citizen's 办事指南 page of this bundle or item."""
        return reverse(
            "catalog:bundle" if self.kind == BUNDLE else "catalog:item", args=[self.code]
        )

    def as_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "code": self.code,
            "name": self.name,
            "score": self.score,
            "matched": list(self.matched),
        }


@dataclass(frozen=True)
class GuideAnswer:
    query: str  # normalised and cut, as searched
    truncated: bool
    synonyms: tuple[str, ...]  # the colloquial phrases that were recognised
    results: list[GuideResult]
    # Each recognised phrase with the catalog terms it stands for (生孩子 → 出生 新生儿):
    # the portal shows people how it read their words.
    understood: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class QueryTerms:
    terms: dict[str, float]  # term → weight, in first-seen order
    synonyms: tuple[str, ...]
    # The person's own words (full weight, from their text rather than from a synonym): only
    # these can name one item of a life event (see _lift_named_bundles).
    typed: frozenset[str] = frozenset()
    text: str = ""  # the normalised query, as typed
    # Each recognised phrase with its catalog terms, homophone typos first (不办 → 补办).
    understood: tuple[tuple[str, tuple[str, ...]], ...] = ()


def _add(terms: dict[str, float], weighted: dict[str, float], factor: float = 1.0) -> None:
    for term, weight in weighted.items():
        terms[term] = max(terms.get(term, 0.0), weight * factor)


def _claim(text: str, phrase: str, covered: list[bool]) -> bool:
    """Mark the occurrences of `phrase` that a longer phrase has not already claimed:
    社保卡 inside 社保卡丢了 is not also 社保 (社会保险)."""
    found = False
    start = text.find(phrase)
    while start != -1:
        end = start + len(phrase)
        if not all(covered[start:end]):
            covered[start:end] = [True] * len(phrase)
            found = True
        start = text.find(phrase, start + 1)
    return found


def query_terms(index: GuideIndex, text: str) -> QueryTerms:
    """The weighted terms to look up for a normalised query.

    Synonyms are applied twice: the second pass reads the query with the first pass's
    phrases replaced by their first term, so a corrected typo can complete a longer phrase
    (上护口 → 上户口 → 户口登记)."""
    original = text
    terms: dict[str, float] = {}
    _add(terms, index.segmenter.weighted_terms(text, index.knows))
    typed = {term for term, weight in terms.items() if weight == 1.0}
    used: list[str] = []
    understood: list[tuple[str, tuple[str, ...]]] = []
    text, corrections = _correct_homophones(index, text)
    for correction in corrections:
        weighted = index.segmenter.weighted_terms(correction.word, index.knows)
        _add(terms, weighted, TYPO_WEIGHT)
        typed.update(term for term, weight in weighted.items() if weight == 1.0)
        used.append(correction.typed)
        understood.append((correction.typed, (correction.word,)))
    for _ in range(2):
        rewritten = text
        covered = [False] * len(text)
        for synonym in index.synonyms:  # longest phrase first
            if synonym.phrase in used or not _claim(text, synonym.phrase, covered):
                continue
            used.append(synonym.phrase)
            understood.append((synonym.phrase, synonym.terms))
            for canonical in synonym.terms:
                weighted = index.segmenter.weighted_terms(canonical, index.knows)
                _add(terms, weighted, SYNONYM_WEIGHT)
            rewritten = rewritten.replace(synonym.phrase, synonym.terms[0])
        if rewritten == text:
            break
        text = rewritten
    chars = cjk_chars(text)
    if len(chars) == 1 and not used:
        terms.setdefault(CHAR_PREFIX + chars[0], 1.0)
    return QueryTerms(terms, tuple(used), frozenset(typed), original, tuple(understood))


def _correct_homophones(index: GuideIndex, text: str) -> tuple[str, list[Correction]]:
    """The query with its homophone typos replaced (社保卡不办 → 社保卡补办), and the typos.
    Text that a synonym phrase claims is left to the synonym table (设保, 护口)."""
    if index.homophones is None or not len(index.homophones):
        return text, []
    protected = [False] * len(text)
    for synonym in index.synonyms:
        _claim(text, synonym.phrase, protected)
    corrections = index.homophones.corrections(index.segmenter, text, protected)
    for correction in reversed(corrections):  # same length: positions stay valid
        end = correction.start + len(correction.typed)
        text = text[: correction.start] + correction.word + text[end:]
    return text, corrections


def _explained(terms: list[str]) -> tuple[str, ...]:
    """The matched terms as shown to people: without the parts of a longer matched word
    (新生儿, not 新生 生儿 新生儿), in query order."""
    visible = list(dict.fromkeys(t.removeprefix(CHAR_PREFIX) for t in terms))
    return tuple(t for t in visible if not any(t != o and t in o for o in visible))


def _lift_named_bundles(
    index: GuideIndex,
    scores: np.ndarray,
    matched: dict[int, list[str]],
    parsed: QueryTerms,
) -> None:
    """Put a bundle just above its best-scoring item when the query asks for the life event
    rather than for one item, and keep it below the item when the query names that item.
    The tests read only the *title* terms each item matched:

    First, unless the query is undecided (below), the bundle is put just *below* its best
    item when the query names that item:
    - one item: the best item's title matched, in the person's own words and beyond the
      bundle's own title words, everything any of its items matched there (开死亡证明 →
      居民死亡医学证明 above 身后一件事). Parts, lone characters and a synonym's terms do
      not name an item (开公司 → 企业开办 企业设立 asks for the life event), and a word the
      bundle's own title has (新生儿, 死亡) names the life event;
    - own title: the query is the item's name or result (继承公证).

    Otherwise the bundle is put just *above* its best item when one of these holds:
    - named: the bundle's own name or theme covers the item's title matches
      (孩子出生 → 新生儿出生一件事 above 出生医学证明首次签发), but not when the item
      matched something more specific (社保卡丢了 → 补领 stays above the 一卡通 bundle);
    - spanning: no single item explains the query — two of its items matched different
      things (出生证、户口、医保 in one story);
    - undecided: its best item's title matches are shared by most of its items (破产 …
      查询 fits all eight 破产企业…查询 items), so the query names what they have in common.

    A bundle of one item is never lifted: the item is what is applied for (教资认定)."""
    members: dict[int, list[tuple[int, frozenset[str]]]] = {}
    for position in matched:
        doc = index.docs[position]
        if doc.kind == BUNDLE:
            continue
        title_hits = index.titles[position].intersection(matched[position])
        for bundle in index.bundles_of.get(doc.code, ()):
            members.setdefault(bundle, []).append((position, title_hits))
    for bundle, hits in members.items():
        named = index.titles[bundle].intersection(matched.get(bundle, ()))
        if not named or len(index.docs[bundle].members) == 1:
            continue  # a bundle of one item is that item: the item is what is applied for
        union = frozenset().union(*(title_hits for _, title_hits in hits))
        spanning = all(title_hits != union for _, title_hits in hits)
        top = max(hits, key=lambda h: (float(scores[h[0]]), -h[0]))[0]
        undecided = _undecided(hits, top, len(index.docs[bundle].members), matched[bundle])
        # A query that is an everyday name of both the item and its bundle names the bundle.
        own_title = _is_title_of(index.docs[top], parsed.text) and not _is_title_of(
            index.docs[bundle], parsed.text
        )
        if not undecided and (
            own_title or _names_one_item(index.titles[bundle], hits, top, parsed)
        ):
            scores[bundle] = min(float(scores[bundle]), float(scores[top]) / LIFT)
            continue
        if spanning or undecided:
            lifted = [p for p, _ in hits]
        else:
            lifted = [p for p, title_hits in hits if title_hits <= named]
        if lifted:
            best = max(float(scores[p]) for p in lifted)
            scores[bundle] = max(float(scores[bundle]), best * LIFT)


def _audience_damping(text: str) -> float:
    """How much documents serving companies only count: AUDIENCE_DAMPING for a person's own
    story, NEUTRAL_DAMPING when nobody is named, 1 when a business or an employer is."""
    if any(m in text for m in COMPANY_MARKERS):
        return 1.0
    if any(m in text for m in PERSON_MARKERS):
        return AUDIENCE_DAMPING
    if any(m in text for m in EMPLOYER_MARKERS):
        return 1.0
    return NEUTRAL_DAMPING


def _is_title_of(doc: GuideDoc, text: str) -> bool:
    """The query is the item's own name, result or one of its everyday names, as an official
    or a clerk types it (继承公证, 疫苗本), whatever its bundle is called."""
    names = (*doc.title, *doc.aliases)
    return _SPACE.sub("", text) in {_SPACE.sub("", normalize(t)) for t in names}


def _names_one_item(
    bundle_title: frozenset[str],
    hits: list[tuple[int, frozenset[str]]],
    top: int,
    parsed: QueryTerms,
) -> bool:
    """The best item's title holds every word of the query that the titles of the bundle's
    items hold beyond the bundle's own title, and one of them the person typed: 开死亡证明
    names 居民死亡医学证明 (死亡 alone would name 身后一件事). Parts and lone characters do
    not count, and a synonym's terms alone do not name an item (开公司 → 企业开办 企业设立
    asks for the life event)."""
    meant = {t for t, weight in parsed.terms.items() if weight > PART_WEIGHT}
    beyond = {p: (title_hits - bundle_title).intersection(meant) for p, title_hits in hits}
    words = beyond[top]
    return bool(words.intersection(parsed.typed)) and all(
        other <= words for other in beyond.values()
    )


def _undecided(
    hits: list[tuple[int, frozenset[str]]], top: int, size: int, bundle_matched: list[str]
) -> bool:
    """The best item of the bundle shares its title matches with most of its items, and
    the bundle matched them too: the query names what they have in common (破产 … 查询),
    not one of them, so the bundle is the answer. Two of nine (死亡 … 证明) is not most."""
    top_hits = next(title_hits for p, title_hits in hits if p == top)
    sharing = sum(1 for _, other in hits if top_hits <= other)  # the best item included
    return (
        bool(top_hits) and top_hits <= set(bundle_matched) and sharing >= 2 and 2 * sharing > size
    )


def rank(index: GuideIndex, parsed: QueryTerms, limit: int) -> list[GuideResult]:
    terms = parsed.terms
    if not index.docs:
        return []
    scores = np.zeros(len(index.docs), dtype=np.float64)
    hits: list[tuple[str, np.ndarray]] = []
    for term, weight in terms.items():
        postings = index.postings(term)
        for docs, values in postings:
            scores[docs] += values * weight  # a term lists each document once
        if postings:
            hits.append((term, postings[0][0]))  # the body's documents include the title's
    # Matched terms (and the life-event rules that read them) only for the best CANDIDATES
    # documents and the bundles of those: a common word must not cost a loop per document.
    found = np.flatnonzero(scores)
    if len(found) > CANDIDATES:
        found = found[np.argpartition(-scores[found], CANDIDATES)[:CANDIDATES]]
    chosen = {int(p) for p in found}
    for position in list(chosen):
        chosen.update(b for b in index.bundles_of.get(index.docs[position].code, ()) if scores[b])
    candidates = np.array(sorted(chosen), dtype=np.int64)
    matched: dict[int, list[str]] = {}
    marker = np.zeros(len(index.docs), dtype=bool)
    for term, docs in hits:
        marker[docs] = True
        for position in candidates[marker[candidates]].tolist():
            matched.setdefault(position, []).append(term)
        marker[docs] = False
    damping = _audience_damping(parsed.text)
    if damping != 1.0:
        scores[index.company_docs] *= damping
    _lift_named_bundles(index, scores, matched, parsed)
    # Rounded as shown, so that float noise never decides between equal scores.
    ranked = sorted(
        matched,
        key=lambda p: (
            -round(float(scores[p]), 3),
            index.docs[p].kind != BUNDLE,
            index.docs[p].code,
        ),
    )
    results = []
    for position in ranked[:limit]:
        doc = index.docs[position]
        results.append(
            GuideResult(
                kind=doc.kind,
                code=doc.code,
                name=doc.name,
                score=round(float(scores[position]), 3),
                matched=_explained(matched[position]),
            )
        )
    return results


def search_index(index: GuideIndex, query: str, limit: int = DEFAULT_LIMIT) -> GuideAnswer:
    """guide_search against a given index (pure: tests and the benchmark call it)."""
    text = normalize(query)
    truncated = len(text) > MAX_QUERY_CHARS
    text = text[:MAX_QUERY_CHARS].strip()
    if not text:
        raise EmptyQuery()
    parsed = query_terms(index, text)
    return GuideAnswer(
        query=text,
        truncated=truncated,
        synonyms=parsed.synonyms,
        results=rank(index, parsed, max(1, min(limit, MAX_LIMIT))),
        understood=parsed.understood,
    )


def guide_search(query: str, limit: int = DEFAULT_LIMIT) -> GuideAnswer:
    """Bundles and items for a question in the applicant's own words, best first.

    Raises EmptyQuery (400) for an empty or blank query; a long one is cut, not refused.
    Once the process has its index, this is one database query (the freshness token)."""
    if not normalize(query):
        raise EmptyQuery()  # before touching the database
    return search_index(current_index(), query, limit)
