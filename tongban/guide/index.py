"""The guide's in-memory index: BM25 (bm25s) over jieba terms of the published catalog.

Built from the database in one pass and kept per process. A search first reads the
GuideState token (one primary-key query); a catalog publication or a synonym edit writes a
new token, so each process rebuilds on its next search, and a rolled-back change never
looks current. No database full-text parser is involved, so SQLite and PostgreSQL give the
same documents in the same order and therefore the same results.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from dataclasses import dataclass, field

import bm25s
import numpy as np

from .documents import BUNDLE, COMPANY, KEYWORD_WEIGHT, GuideDoc, published_documents
from .models import GuideState, Synonym
from .tokens import PERSON_WORDS, Segmenter, cjk_chars, normalize
from .typos import MAX_CHARS, Homophones

logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every build at DEBUG

# One-character queries (房, 税) match these: each distinct character of a document's title,
# prefixed so that no word of a longer query can collide with them.
CHAR_PREFIX = "字:"
EMPTY = "\x00"  # stands in for a document without terms; no query produces it

# Lower b than the textbook 0.75: a bundle's document is long because it lists its items,
# which is no reason to push it down.
K1 = 2.0
B = 0.5
# Weight of the title-only index (name, result or theme) next to the whole document: a
# person who says 低保 means 最低生活保障审核确认, not every item that mentions 低保 somewhere.
TITLE_BOOST = 1.0
_PERSON_WORDS = frozenset(PERSON_WORDS)


@dataclass(frozen=True)
class SynonymEntry:
    phrase: str
    terms: tuple[str, ...]


@dataclass
class GuideIndex:
    token: str | None
    docs: list[GuideDoc]
    synonyms: list[SynonymEntry]
    segmenter: Segmenter
    bm25: bm25s.BM25 | None
    title_bm25: bm25s.BM25 | None  # the same over titles only: a name match counts extra
    titles: list[frozenset[str]]  # per document: the terms and characters of its title
    bundles_of: dict[str, list[int]] = field(default_factory=dict)  # item code → bundle docs
    position: dict[tuple[str, str], int] = field(default_factory=dict)  # (kind, code) → doc
    # Positions of the documents that serve companies only (damped for a person's story).
    company_docs: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # Toneless pinyin of the title words and synonyms → the word (不办 → 补办; see typos).
    homophones: Homophones | None = None

    def knows(self, term: str) -> bool:
        """Whether any document has this term."""
        return self.bm25 is not None and term in self.bm25.vocab_dict

    def postings(self, term: str) -> list[tuple[np.ndarray, np.ndarray]]:
        """(document positions, BM25 scores) of one term: from the whole-document index and,
        boosted, from the title index (whose documents are a subset: titles are in the body). Read straight from bm25s's per-term sparse columns,
        so a term costs its own documents, not a pass over the whole catalog."""
        found = []
        for bm25, factor in ((self.bm25, 1.0), (self.title_bm25, TITLE_BOOST)):
            if bm25 is None or (term_id := bm25.vocab_dict.get(term)) is None:
                continue
            columns = bm25.scores
            start, end = columns["indptr"][term_id : term_id + 2]
            docs = columns["indices"][start:end]
            found.append((docs, columns["data"][start:end].astype(np.float64) * factor))
        return found


def active_synonyms() -> list[SynonymEntry]:
    rows = Synonym.objects.filter(is_active=True).order_by("phrase")
    return [SynonymEntry(s.phrase, tuple(s.term_list())) for s in rows]


def _alias_terms(segmenter: Segmenter, alias: str) -> list[str]:
    """The terms of one everyday name without the words for a person and, when the name has
    words of two characters or more, without its lone characters (see build_index). A name
    jieba knows no word of (狗证) keeps its characters: they are all there is to match."""
    terms = segmenter.terms(alias)
    if any(len(t) > 1 for t in terms):
        terms = [t for t in terms if len(t) > 1]
    return [t for t in terms if t not in _PERSON_WORDS]


def build_index(
    docs: list[GuideDoc], synonyms: list[SynonymEntry], token: str | None = None
) -> GuideIndex:
    """A pure function of its input (no database): the benchmark times exactly this."""
    # Synonym phrases and terms become dictionary words, so 社会保障卡 is one term on both
    # sides. Whole catalog names do not: search mode only emits the parts of a long word
    # that jieba knows, so an unknown part (养犬 in 养犬登记证核发) would vanish.
    words = [s.phrase for s in synonyms] + [t for s in synonyms for t in s.terms]
    segmenter = Segmenter(words)
    corpus: list[list[str]] = []
    title_corpus: list[list[str]] = []
    titles: list[frozenset[str]] = []
    bundles_of: dict[str, list[int]] = defaultdict(list)
    title_words: set[str] = set()  # dictionary words of the titles: homophone targets
    for position, doc in enumerate(docs):
        terms: list[str] = []
        for text, weight in doc.fields:
            terms.extend(segmenter.terms(text) * weight)
        # Everyday names: each distinct word once, so that five names with 医保 in them do not
        # make the document five times about 医保, and without the words for the person
        # (孩子 of 生孩子: who asks, not what for). A lone character beside words (开 of
        # 开饭店, 车 of 殡葬车) is grammar or a fragment, not a name: it is left out (the
        # one-character query still reads it, below). A word the title has already is not
        # added to the title twice.
        title_text = " ".join(doc.title)
        title_terms = segmenter.terms(title_text)
        alias_terms = list(
            dict.fromkeys(t for alias in doc.aliases for t in _alias_terms(segmenter, alias))
        )
        terms.extend(alias_terms * KEYWORD_WEIGHT)
        alias_words = [t for t in alias_terms if len(t) > 1 and t not in title_terms]
        # One-character queries (丧) read the characters of the everyday names as well.
        chars = sorted({CHAR_PREFIX + c for c in cjk_chars(" ".join((*doc.title, *doc.aliases)))})
        terms.extend(chars)
        corpus.append(terms or [EMPTY])
        title_corpus.append(title_terms + alias_words + chars)
        titles.append(frozenset(title_corpus[-1]))
        title_words.update(title_terms)
        title_words.update(alias_words)
        title_words.update(segmenter.words_in(normalize(title_text), MAX_CHARS))
        if doc.kind == BUNDLE:
            for code in doc.members:
                bundles_of[code].append(position)
    bm25 = title_bm25 = None
    if corpus:
        bm25 = bm25s.BM25(k1=K1, b=B)
        bm25.index(corpus, show_progress=False)
        title_bm25 = bm25s.BM25(k1=K1, b=B)
        title_bm25.index(title_corpus, show_progress=False)
    return GuideIndex(
        token=token,
        docs=docs,
        # Longest phrase first, so the explanation names 社保卡丢了 before 社保.
        synonyms=sorted(synonyms, key=lambda s: (-len(s.phrase), s.phrase)),
        segmenter=segmenter,
        bm25=bm25,
        title_bm25=title_bm25,
        titles=titles,
        bundles_of=dict(bundles_of),
        position={(d.kind, d.code): i for i, d in enumerate(docs)},
        company_docs=np.array(
            [i for i, d in enumerate(docs) if d.audience == COMPANY], dtype=np.int64
        ),
        homophones=Homophones(title_words, [(s.phrase, s.terms) for s in synonyms]),
    )


_lock = threading.Lock()
_current: GuideIndex | None = None


def _stored_token() -> str | None:
    token: str | None = GuideState.objects.filter(pk=1).values_list("token", flat=True).first()
    return token


def current_index() -> GuideIndex:
    """The index for the catalog as published now: one query when it is up to date."""
    global _current
    token = _stored_token()
    index = _current
    if index is not None and index.token == token:
        return index
    with _lock:
        if _current is None or _current.token != token:
            _current = build_index(published_documents(), active_synonyms(), token)
        return _current


def forget_index() -> None:
    """Drop this process's index (tests; a rolled-back catalog must not leak)."""
    global _current
    with _lock:
        _current = None
