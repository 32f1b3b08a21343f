"""Homophone typos (不办 → 补办, 保到 → 报到, 齐税 → 契税, 身份正 → 身份证) found through pinyin.

People type Chinese with a pinyin input method and pick the wrong character of the right
sound. Once per index build, every word that names something (the terms of the documents'
titles, and the synonym table's phrases and terms) is keyed by its toneless pinyin. A query
is cut as jieba cuts it (default mode, HMM off) and each run of 2–4 characters that starts
and ends on a word boundary is looked up by the default reading of each character. Guards:

- the run must be two tokens or more: a single token of two characters or more is a word
  jieba knows (报道, 事实), which the person meant as typed;
- the run must not be a vocabulary word itself, nor touch a synonym phrase (the synonym
  table corrects 设保 and 护口 itself, and says so);
- the pinyin must name exactly one word (包装 and 报装 are both bao zhuang: no guess);
- a run of stopwords only (不办, 和个) is grammar more often than a typo: it is corrected only
  to a word of the synonym table (补办), never to a title word (契税和个税 is not 合格);
- the longest run wins, and runs do not overlap.

Synonym phrases that are themselves homophones of their terms (设保 → 社保) are not keys:
they are typos, not words.
"""

from __future__ import annotations

import gc
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .tokens import STOPWORDS, Segmenter

MIN_CHARS = 2
MAX_CHARS = 4
_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
_CJK_WORD = re.compile(rf"[\u3400-\u9fff]{{{MIN_CHARS},{MAX_CHARS}}}")

# Pinyin of one character (its most common reading) and of one word (phrase-aware: 银行 is
# yin hang). Shared by every build of the process; bounded by the characters and words of
# the catalog and of what people type.
_cache_lock = threading.Lock()
_char_cache: dict[str, str] = {}
_word_cache: dict[str, tuple[str, ...]] = {}
_CACHE_LIMIT = 200_000


_pinyin: Callable[[str], list[str]] | None = None


def lazy_pinyin(text: str) -> list[str]:
    """pypinyin's toneless readings, imported on first use.

    Its phrase dictionary is about 210,000 small lists that live as long as the process.
    Left to the cyclic garbage collector, every full collection walked them: 127 ms pauses,
    a few per 300 requests on every page (docs/performance.md, workbench reads). So the
    import is followed by `gc.freeze()`, which moves every object alive at that moment out
    of the collector's sight; they are still freed by reference counting when dropped.
    """
    global _pinyin
    if _pinyin is None:
        with _cache_lock:
            if _pinyin is None:
                from pypinyin import lazy_pinyin as loaded

                gc.freeze()
                _pinyin = loaded
    return _pinyin(text)


def _char_reading(char: str) -> str:
    reading = _char_cache.get(char)
    if reading is None:
        reading = lazy_pinyin(char)[0]
        with _cache_lock:
            if len(_char_cache) < _CACHE_LIMIT:
                _char_cache[char] = reading
    return reading


def word_pinyin(word: str) -> tuple[str, ...]:
    """Toneless pinyin of a word, one syllable per character."""
    cached = _word_cache.get(word)
    if cached is None:
        cached = tuple(lazy_pinyin(word))
        if len(cached) != len(word):  # never expected for CJK text; refuse to key it
            cached = ()
        with _cache_lock:
            if len(_word_cache) < _CACHE_LIMIT:
                _word_cache[word] = cached
    return cached


def typed_pinyin(text: str) -> tuple[str, ...]:
    """What the person typed into the input method: each character's common reading."""
    return tuple(_char_reading(c) for c in text)


@dataclass(frozen=True)
class Correction:
    typed: str  # the characters as typed (不办)
    word: str  # the vocabulary word of the same sound (补办)
    start: int  # position in the query text


class Homophones:
    """Toneless pinyin → the one vocabulary word with that sound."""

    def __init__(
        self,
        title_words: Iterable[str],
        synonyms: Iterable[tuple[str, tuple[str, ...]]],
    ) -> None:
        known: set[str] = set()  # the synonym table's words (trusted for stopword runs)
        words: set[str] = {w for w in title_words if _CJK_WORD.fullmatch(w)}
        for phrase, terms in synonyms:
            for term in terms:
                if _CJK_WORD.fullmatch(term):
                    words.add(term)
                    known.add(term)
            sounds = {word_pinyin(t) for t in terms}
            if _CJK_WORD.fullmatch(phrase) and word_pinyin(phrase) not in sounds:
                words.add(phrase)
                known.add(phrase)
        by_sound: dict[tuple[str, ...], set[str]] = {}
        for word in words:
            if sound := word_pinyin(word):
                by_sound.setdefault(sound, set()).add(word)
        # An ambiguous sound is no correction at all.
        self._words = {sound: next(iter(ws)) for sound, ws in by_sound.items() if len(ws) == 1}
        self._vocabulary = frozenset(words)
        self._known = frozenset(known)

    def __len__(self) -> int:
        return len(self._words)

    def corrections(
        self, segmenter: Segmenter, text: str, protected: list[bool]
    ) -> list[Correction]:
        """The homophone typos of a normalised query, left to right. `protected` marks the
        characters a synonym phrase already claims."""
        found: list[Correction] = []
        if not self._words:
            return found
        for run in _CJK_RUN.finditer(text):
            tokens = segmenter.cut(run.group())
            if len(tokens) < 2:
                continue
            bounds = [run.start()]
            for token in tokens:
                bounds.append(bounds[-1] + len(token))
            i = 0
            while i < len(tokens):
                best: tuple[int, Correction] | None = None
                for j in range(i + 2, len(tokens) + 1):
                    start, end = bounds[i], bounds[j]
                    if end - start > MAX_CHARS:
                        break
                    if any(protected[start:end]):
                        break
                    typed = text[start:end]
                    if typed in self._vocabulary:
                        continue
                    word = self._words.get(typed_pinyin(typed))
                    if word is None or word == typed:
                        continue
                    grammar = all(t in STOPWORDS for t in tokens[i:j])
                    if grammar and word not in self._known:
                        continue
                    best = (j, Correction(typed, word, start))
                if best is None:
                    i += 1
                else:
                    i = best[0]
                    found.append(best[1])
        return found
